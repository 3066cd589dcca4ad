// baresip (Debian `baresip-core`) as a real SDES-SRTP platform: an account with
// `mediaenc=srtp-mand` (module srtp), a WAV file of the test as its microphone (module aufile),
// and what it decodes recorded to a WAV file (module sndfile; the player is aubridge, a device
// that plays nowhere). It dials once at start-up (`-e /dial ...`) and lives at most `lifetime`
// (`-t`); the harness stops it by its PID.
//
// Addresses. The SBC knows the platform by source IP, and with `latching: signalled` its relay
// admits media only from the IP the SDP names. baresip 1.0.0 binds SIP where `sip_listen` says,
// but binds its RTP/RTCP sockets to 0.0.0.0 whatever the config (the kernel then sends from
// 127.0.0.1 on loopback), and its SDP's c= line names an interface's first address
// (`net_interface`, else the default route's: eth0 here), never 127.0.N.10. A network namespace
// does not help on loopback: the host delivers every 127.0.0.0/8 destination to itself (its
// `local` routing table comes before any rule a test could add, short of moving that rule for
// the whole host), so the SBC's packets to a 127.0.N.10 inside a namespace would never leave the
// host's own loopback. So baresip runs in the host's namespace with a small LD_PRELOAD library
// that the test builds (`shimSource`, with cc or the Swift toolchain's clang): it turns
// baresip's wildcard IPv4 binds into binds to the platform address (same port) and reports that
// address for every IPv4 interface (libre reads them with getifaddrs), so SIP, RTP, RTCP and the
// SDP's c= line all say 127.0.N.10, as a platform host would. It is process-local: nothing on
// the host's network changes, and nothing is left behind if the test dies.
import Foundation

enum Baresip {
    static var binary: URL? { Tools.which("baresip") }
    static let moduleDirectory = URL(fileURLWithPath: "/usr/lib/baresip/modules")
    /// The modules the test loads; all ship in `baresip-core`.
    static let modules = ["g711", "srtp", "aufile", "aubridge", "sndfile", "account", "menu"]

    static var isInstalled: Bool {
        binary != nil && modules.allSatisfy {
            FileManager.default.fileExists(atPath: moduleDirectory.appendingPathComponent("\($0).so").path)
        }
    }

    static let notInstalled = """
        baresip is not installed (Debian package baresip-core, with modules \
        \(modules.joined(separator: ", ")) in /usr/lib/baresip/modules): ./scripts/test installs it
        """

    /// The C compiler for the bind shim: `cc`, else `clang` on PATH, else the Swift toolchain's.
    static func compiler() throws -> URL {
        if let found = Tools.which("cc") ?? Tools.which("clang") { return found }
        for candidate in ["/opt/swift/usr/bin/clang", "/usr/share/swift/usr/bin/clang"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return URL(fileURLWithPath: candidate)
        }
        throw HarnessError("no C compiler (cc or clang) to build the baresip address shim")
    }

    /// The LD_PRELOAD shim (see the file comment). `SBC_TEST_PIN_IPV4` names the address.
    static let shimSource = """
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <dlfcn.h>
        #include <ifaddrs.h>
        #include <netinet/in.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/socket.h>

        static int pinned(struct in_addr *out) {
            const char *ip = getenv("SBC_TEST_PIN_IPV4");
            return ip && inet_pton(AF_INET, ip, out) == 1;
        }

        /* A wildcard IPv4 bind becomes a bind to the pinned address (same port). */
        int bind(int fd, const struct sockaddr *addr, socklen_t len) {
            static int (*real_bind)(int, const struct sockaddr *, socklen_t);
            if (!real_bind) real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
            struct in_addr ip;
            if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)
                && ((const struct sockaddr_in *)addr)->sin_addr.s_addr == htonl(INADDR_ANY) && pinned(&ip)) {
                struct sockaddr_in copy;
                memcpy(&copy, addr, sizeof copy);
                copy.sin_addr = ip;
                return real_bind(fd, (const struct sockaddr *)&copy, sizeof copy);
            }
            return real_bind(fd, addr, len);
        }

        /* A socket connected to a loopback address before any bind (libre's SIP over TCP and
           TLS) is bound to the pinned address first, so the connection comes from it. */
        int connect(int fd, const struct sockaddr *addr, socklen_t len) {
            static int (*real_connect)(int, const struct sockaddr *, socklen_t);
            if (!real_connect) real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
            struct in_addr ip;
            struct sockaddr_in local;
            socklen_t local_len = sizeof local;
            if (addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)
                && (ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr) >> 24) == 127 && pinned(&ip)
                && getsockname(fd, (struct sockaddr *)&local, &local_len) == 0 && local.sin_family == AF_INET
                && local.sin_port == 0 && local.sin_addr.s_addr == htonl(INADDR_ANY)) {
                memset(&local, 0, sizeof local);
                local.sin_family = AF_INET;
                local.sin_addr = ip;
                bind(fd, (const struct sockaddr *)&local, sizeof local);
            }
            return real_connect(fd, addr, len);
        }

        /* Every IPv4 interface address reads as the pinned address (the SDP's c= line). */
        int getifaddrs(struct ifaddrs **list) {
            static int (*real_getifaddrs)(struct ifaddrs **);
            if (!real_getifaddrs) real_getifaddrs = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
            int rc = real_getifaddrs(list);
            struct in_addr ip;
            if (rc == 0 && pinned(&ip)) {
                for (struct ifaddrs *i = *list; i; i = i->ifa_next)
                    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
                        ((struct sockaddr_in *)i->ifa_addr)->sin_addr = ip;
            }
            return rc;
        }

        """

    /// Builds the shim into `directory` and returns the shared object's path.
    static func buildShim(in directory: URL) async throws -> URL {
        let source = directory.appendingPathComponent("pin.c")
        let library = directory.appendingPathComponent("pin.so")
        try shimSource.write(to: source, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("pin.build.log")
        let cc = try ManagedProcess(name: "cc pin.so", executable: try compiler(),
                                    arguments: ["-shared", "-fPIC", "-O2", "-o", library.path, source.path, "-ldl"],
                                    workingDirectory: directory, stdout: log, stderr: log)
        let exit = await cc.waitForExit(timeout: .seconds(60))
        guard let exit, exit.exited, exit.status == 0, FileManager.default.fileExists(atPath: library.path) else {
            await cc.stop()
            throw HarnessError("building the baresip address shim failed (\(exit.map(\.description) ?? "timeout")):\n\(fileTail(log))")
        }
        return library
    }
}

/// One baresip instance playing the platform.
final class BaresipPlatform {
    let directory: URL
    let address: Endpoint
    let toneFile: URL
    let recordings: URL
    let process: ManagedProcess
    var logURL: URL { process.stdoutURL }

    /// SIP over TLS (libre's OpenSSL): the CA file it loads (`sip_cafile`) and the certificate
    /// with its key it presents for mutual TLS (`sip_certificate`, a combined PEM), if any.
    /// baresip listens for TLS on `address.port + 1`; dial a `;transport=tls` URI to use it.
    struct TLS {
        var caFile: URL
        var certificate: URL?
    }

    /// Writes the config, account and tone, and starts baresip, dialling `target`
    /// (`sip:user@ip:port`) if given, else answering the first incoming call (`answermode=auto`).
    /// `lifetime` bounds it (`-t`): it hangs up and exits then at the latest. `mediaenc` nil: plain RTP.
    init(lab: Lab, address: Endpoint, dialing target: String?, toneHz: Double, lifetime: Duration,
         mediaenc: String? = "srtp-mand", codecs: String = "PCMA", tls: TLS? = nil,
         control: Endpoint? = nil) async throws {
        guard let binary = Baresip.binary else { throw HarnessError(Baresip.notInstalled) }
        directory = lab.directory.appendingPathComponent("baresip", isDirectory: true)
        recordings = directory.appendingPathComponent("recordings", isDirectory: true)
        toneFile = directory.appendingPathComponent("tone-\(Int(toneHz))Hz.wav")
        self.address = address
        try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)
        let shim = try await Baresip.buildShim(in: directory)

        // 30 s of tone: longer than any call of the test (aufile plays the file once).
        var tone = ToneGenerator(frequency: toneHz)
        try WAV.write(tone.next(8000 * 30), to: toneFile)
        let config = """
            poll_method\t\tepoll
            sip_listen\t\t\(address.ip):\(address.port)
            call_local_timeout\t20
            call_max_calls\t\t1
            audio_player\t\taubridge,sbc-itest
            audio_alert\t\taubridge,sbc-itest
            audio_source\t\taufile,\(toneFile.path)
            audio_level\t\tno
            ausrc_format\t\ts16
            auplay_format\t\ts16
            auenc_format\t\ts16
            audec_format\t\ts16
            audio_buffer\t\t20-160
            rtcp_mux\t\tno
            jitter_buffer_delay\t1-10
            rtp_stats\t\tno
            module_path\t\t\(Baresip.moduleDirectory.path)
            module\t\t\tg711.so
            module\t\t\tsrtp.so
            module\t\t\taufile.so
            module\t\t\taubridge.so
            module\t\t\tsndfile.so
            module_tmp\t\taccount.so
            module_app\t\tmenu.so
            snd_path\t\t\(recordings.path)
            \(control.map { "module\t\t\tctrl_tcp.so\nctrl_tcp_listen\t\t\($0)\n" } ?? "")\
            \(tls.map { "sip_cafile\t\t\($0.caFile.path)\n" } ?? "")\
            \(tls?.certificate.map { "sip_certificate\t\t\($0.path)\n" } ?? "")
            """
        try config.write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:platform@\(address.ip)>;regint=0\(mediaenc.map { ";mediaenc=\($0)" } ?? "");audio_codecs=\(codecs);answermode=auto\n"
            .write(to: directory.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        try "\n".write(to: directory.appendingPathComponent("contacts"), atomically: true, encoding: .utf8)

        let seconds = max(1, Int((lifetime / .seconds(1)).rounded(.up)))
        // /usr/bin/env sets the preload and execs baresip: the PID is baresip's own.
        process = try ManagedProcess(
            name: "baresip", executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["LD_PRELOAD=\(shim.path)", "SBC_TEST_PIN_IPV4=\(address.ip)", binary.path,
                        "-4", "-s", "-f", directory.path, "-t", String(seconds)]
                + (target.map { ["-e", "/dial \($0)"] } ?? []),
            workingDirectory: directory,
            stdout: directory.appendingPathComponent("baresip.log"),
            stderr: directory.appendingPathComponent("baresip.log"))
        lab.adopt(process)
    }

    /// Waits until baresip listens for SIP on its address (at most `timeout`).
    func waitUntilListening(timeout: Duration = .seconds(10)) async throws {
        let process = self.process
        guard await waitUntilBound(address, timeout: timeout, while: { process.isRunning }) else {
            throw HarnessError("baresip did not bind \(address)\n\(logTail())")
        }
    }

    /// baresip's output so far (SIP trace included; complete once it has exited).
    var log: String { String(decoding: FileManager.default.contents(atPath: logURL.path) ?? Data(), as: UTF8.self) }

    func logTail(_ bytes: Int = 4000) -> String { "--- baresip (\(logURL.path)):\n" + fileTail(logURL, maxBytes: bytes) }

    /// Hangs up (SIGTERM: baresip sends BYE, closes its recordings and exits) and waits.
    @discardableResult
    func hangUp(grace: Duration = .seconds(5)) async -> ProcessExit {
        await process.stop(signal: SIGTERM, grace: grace)
    }

    /// The samples baresip decoded from the call (sndfile's `dump-*-dec.wav`).
    func decodedAudio() throws -> (samples: [Int16], sampleRate: Int) {
        let files = (try? FileManager.default.contentsOfDirectory(at: recordings, includingPropertiesForKeys: nil)) ?? []
        guard let file = files.filter({ $0.lastPathComponent.hasSuffix("-dec.wav") }).sorted(by: { $0.path < $1.path }).last else {
            throw HarnessError("baresip recorded nothing it decoded (no dump-*-dec.wav in \(recordings.path))\n\(logTail())")
        }
        let wav = try WAV.read(file)
        return (wav.samples, wav.sampleRate)
    }
}
