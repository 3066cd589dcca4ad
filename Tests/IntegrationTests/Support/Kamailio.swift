// Kamailio as the scale-out lab's load balancer, started as scripts/cluster-up starts it
// (`kamailio -DD -E -f conf/cluster/kamailio.cfg -Y <run dir> -A DISPATCHER_LIST=... -A CTL_SOCKET=...`),
// with its run dir and control socket in the lab's temp dir, and its dispatcher view read with kamcmd.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class Kamailio {
    /// kamailio and kamcmd (a missing module is reported by kamailio itself at start-up).
    static var isInstalled: Bool { Tools.systemBinary("kamailio") != nil && Tools.systemBinary("kamcmd") != nil }

    static let notInstalled = "Kamailio is not installed (kamailio and kamcmd, Debian package kamailio): ./scripts/test installs it"

    let process: ManagedProcess
    let runDirectory: URL
    let listen: Endpoint
    var logURL: URL { process.stderrURL }
    var controlSocket: String { "unix:\(runDirectory.path)/kamailio_ctl" }

    /// Starts Kamailio on `config` with `dispatcherList`, and waits until it holds UDP `listen`.
    /// The lab stops it (SIGTERM to its PID; the main process ends its workers) at teardown.
    init(lab: Lab, config: URL, dispatcherList: URL, listen: Endpoint) async throws {
        guard let kamailio = Tools.systemBinary("kamailio") else { throw HarnessError(Self.notInstalled) }
        self.listen = listen
        runDirectory = lab.directory.appendingPathComponent("kamailio", isDirectory: true)
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        try await lab.requireFreeUDP([listen])
        let log = lab.directory.appendingPathComponent("kamailio.log")
        process = try ManagedProcess(
            name: "kamailio", executable: kamailio,
            arguments: ["-DD", "-E", "-f", config.path, "-Y", runDirectory.path,
                        "-A", "DISPATCHER_LIST=\"\(dispatcherList.path)\"",
                        "-A", "CTL_SOCKET=\"unix:\(runDirectory.path)/kamailio_ctl\""],
            workingDirectory: lab.directory, stdout: log, stderr: log)
        lab.adopt(process)
        let process = self.process
        guard await waitUntilBound(listen, timeout: .seconds(10), while: { process.isRunning }) else {
            let exit = process.exit.map { "\($0)" } ?? "still running"
            await process.stop()
            throw HarnessError("Kamailio did not bind \(listen) (\(exit)):\n\(fileTail(log, maxBytes: 3000))")
        }
    }

    /// Each dispatcher destination's URI and flags (`AP`: active and probing, `IP`: inactive),
    /// from `kamcmd dispatcher.list`.
    func destinations(_ lab: Lab) async -> [String: String] {
        guard let kamcmd = Tools.systemBinary("kamcmd"),
              let result = try? await lab.run("kamcmd", kamcmd, ["-s", controlSocket, "dispatcher.list"],
                                              timeout: .seconds(5)), result.succeeded
        else { return [:] }
        var flags: [String: String] = [:]
        var uri: String?
        for raw in result.stdout.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("URI:") {
                uri = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("FLAGS:"), let current = uri {
                flags[current] = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                uri = nil
            }
        }
        return flags
    }

    /// Polls the dispatcher until every destination in `uris` is active (`active == true`: flags
    /// `A.`) or inactive (`false`: `I.`); bounded by `limit`. Returns the flags last seen. A
    /// destination in `T.` (trying: probes failing, fewer than `ds_probing_threshold` so far) is
    /// neither: Kamailio still selects it for new requests.
    func waitForDestinations(_ lab: Lab, _ uris: [String], active: Bool, within limit: Duration) async
        -> (ok: Bool, flags: [String: String])
    {
        let deadline = ContinuousClock.now + limit
        var flags: [String: String] = [:]
        while true {
            flags = await destinations(lab)
            let ok = uris.allSatisfy { uri in flags[uri]?.hasPrefix(active ? "A" : "I") ?? false }
            if ok || ContinuousClock.now >= deadline { return (ok, flags) }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The log's size now, to read what Kamailio logs from here on with `log(since:)`.
    var logOffset: Int { (try? FileManager.default.attributesOfItem(atPath: logURL.path)[.size] as? Int) ?? 0 }

    /// What Kamailio logged after `offset` (a `logOffset`).
    func log(since offset: Int) -> String {
        let data = FileManager.default.contents(atPath: logURL.path) ?? Data()
        return String(decoding: data.dropFirst(offset), as: UTF8.self)
    }

    func logTail(_ bytes: Int = 3000) -> String {
        "--- kamailio log (\(logURL.path)):\n" + fileTail(logURL, maxBytes: bytes)
    }
}
