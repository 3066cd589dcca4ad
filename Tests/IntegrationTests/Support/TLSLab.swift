// SIP over TLS in the test lab (issue 11): the TLS keys of the generated config, the lab
// certificates (scripts/tls-certs, generated once per test process and copied into each lab),
// and the openssl command line the tests inspect certificates and listeners with.
//
// Names, not addresses: the lab certificates name 127.0.0.1/.10/.11/.12 (LAB.md) while a test
// block is 127.0.N.x, so every check that involves a name uses the certificates' DNS names
// (`sbc.lab`, `platform.lab`, `carrier-a.lab`) through `server_name` and `-servername`.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The TLS knobs of a lab (`LabOptions.tls`). Both zones get a TLS listener on the block's
/// `sbcPlatformTLS`/`sbcCarrierTLS` with the lab's SBC certificate (`sbc-chain.pem`, DNS:sbc.lab).
struct LabTLSOptions: Sendable {
    /// Directory with scripts/tls-certs' files. `Lab` copies it into its own `tls/` directory and
    /// points this at the copy, which is what the config names (a test may replace files there).
    var certificates: URL
    /// `zones[].tls.min_version` of the platform and carrier zones.
    var platformMinVersion = "1.2"
    var carrierMinVersion = "1.2"
    /// The platform trunk's `tls` mapping (nil: none).
    var platformTrunk: LabTrunkTLS?
    /// Carrier A with `transport: tls` and this `tls` mapping (nil: `LabOptions.carrierATransport`).
    var carrierA: LabTrunkTLS?
    /// `tls.handshake_timeout_ms`.
    var handshakeTimeoutMs = 2000
    /// `tls.expiry_check_interval_s` (10 is the smallest the SBC accepts).
    var expiryCheckIntervalSeconds = 10

    init(certificates: URL) { self.certificates = certificates }

    func file(_ name: String) -> URL { certificates.appendingPathComponent(name) }

    /// `tls_port` and `tls` of a zone entry.
    func zoneYAML(port: UInt16, minVersion: String) -> String {
        "\n    tls_port: \(port)\n    tls: {certificate: \(file("sbc-chain.pem").path), key: \(file("sbc.key").path), "
            + "ca: \(file("ca.pem").path), min_version: \"\(minVersion)\"}"
    }

    /// A trunk entry's `tls` mapping, or nothing.
    func trunkYAML(_ trunk: LabTrunkTLS?) -> String {
        guard let trunk else { return "" }
        var keys = ["verify: \(trunk.verify)"]
        if let name = trunk.serverName { keys.append("server_name: \(name)") }
        if trunk.labCA { keys.append("ca: \(file("ca.pem").path)") }
        if let name = trunk.clientCertificate {
            keys.append("certificate: \(file("\(name).pem").path)")
            keys.append("key: \(file("\(name).key").path)")
        }
        if trunk.requireClientCertificate { keys.append("require_client_certificate: true") }
        return "\n    tls: {\(keys.joined(separator: ", "))}"
    }

    /// The top-level `tls` section.
    var sectionYAML: String {
        "tls: {handshake_timeout_ms: \(handshakeTimeoutMs), expiry_check_interval_s: \(expiryCheckIntervalSeconds)}\n"
    }
}

/// A trunk's `tls` mapping (docs/TLS.md, `trunks[].tls`).
struct LabTrunkTLS: Sendable {
    /// `none`, `chain_name` or `chain_pin`.
    var verify = "chain_name"
    var serverName: String?
    /// `ca`: the lab CA (else the system store).
    var labCA = true
    /// `require_client_certificate`.
    var requireClientCertificate = false
    /// The SBC's client certificate towards this trunk: the lab file name without `.pem`/`.key`.
    var clientCertificate: String?
}

extension Lab {
    /// The lab's own copy of the certificates (the files its config names).
    var certificates: URL {
        get throws {
            guard let tls = options.tls else { throw HarnessError("this lab has no TLS (LabOptions.tls is nil)") }
            return tls.certificates
        }
    }
}

enum LabCertificates {
    private static let cache = CertificateCache()

    /// The lab certificates of this test process: `scripts/tls-certs` run once into a temp dir.
    static func shared() async throws -> URL {
        try await cache.directory()
    }

    /// Runs `scripts/tls-certs DIR` (bounded) and returns DIR.
    @discardableResult
    static func generate(into directory: URL) async throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = Tools.repoRoot.appendingPathComponent("scripts/tls-certs")
        let result = try await runTool("tls-certs", script, [directory.path], in: directory, timeout: .seconds(60))
        guard result.succeeded else {
            throw HarnessError("scripts/tls-certs \(directory.path) failed (\(result.exit)):\n\(result.output)")
        }
        return directory
    }

    /// Copies every file of `source` (not the lock) into `destination`, keeping modes.
    static func copy(_ source: URL, to destination: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path) where !name.hasPrefix(".") {
            let target = destination.appendingPathComponent(name)
            try? fm.removeItem(at: target)
            try fm.copyItem(at: source.appendingPathComponent(name), to: target)
        }
    }

    /// Puts `source` in place of `target` with a rename, so the SBC never reads half a file.
    static func replace(_ target: URL, with source: URL) throws {
        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).new")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.copyItem(at: source, to: staging)
        guard rename(staging.path, target.path) == 0 else {
            throw HarnessError("rename \(staging.path) -> \(target.path): \(String(cString: strerror(errno)))")
        }
    }
}

private actor CertificateCache {
    private var task: Task<URL, Error>?

    func directory() async throws -> URL {
        if let task { return try await task.value }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsbc-itests", isDirectory: true)
        // Earlier runs' certificates, once their test process is gone (nothing removes them at exit).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix("tls-certs-") {
            if let pid = Int32(name.dropFirst("tls-certs-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
            }
        }
        let directory = root.appendingPathComponent("tls-certs-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)
        let task = Task { try await LabCertificates.generate(into: directory) }
        self.task = task
        return try await task.value
    }
}

/// What a short-lived tool printed (stdout and stderr together) and how it ended.
struct ToolResult: Sendable {
    let exit: ProcessExit
    let output: String
    var succeeded: Bool { exit.exited && exit.status == 0 }
}

/// Runs `executable arguments` in `directory` to completion (SIGKILL at `timeout`), stdin from
/// /dev/null, output to a file that is read back.
func runTool(_ name: String, _ executable: URL, _ arguments: [String], in directory: URL,
             timeout: Duration = .seconds(15)) async throws -> ToolResult {
    let log = directory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).log")
    let process = try ManagedProcess(name: name, executable: executable, arguments: arguments,
                                     workingDirectory: directory, stdout: log, stderr: log)
    var exit = await process.waitForExit(timeout: timeout)
    if exit == nil { exit = await process.stop(signal: SIGKILL, grace: .seconds(1)) }
    let ended = exit ?? ProcessExit(exited: false, status: SIGKILL)
    let output = String(decoding: FileManager.default.contents(atPath: log.path) ?? Data(), as: UTF8.self)
    try? FileManager.default.removeItem(at: log)
    return ToolResult(exit: ended, output: output)
}

/// The `openssl` command line.
enum OpenSSLTool {
    static func binary() throws -> URL {
        guard let found = Tools.which("openssl") else { throw HarnessError("openssl is not on PATH (Debian package openssl)") }
        return found
    }

    static func run(_ arguments: [String], in directory: URL, timeout: Duration = .seconds(15)) async throws -> ToolResult {
        try await runTool("openssl-\(arguments.first ?? "")", try binary(), arguments, in: directory, timeout: timeout)
    }

    /// `openssl s_client` against `endpoint` (stdin at EOF: it handshakes, prints and leaves).
    static func connect(_ endpoint: Endpoint, serverName: String = "sbc.lab", caFile: URL?, extra: [String] = [],
                        in directory: URL) async throws -> ToolResult {
        var arguments = ["s_client", "-connect", endpoint.description, "-servername", serverName, "-showcerts"]
        if let caFile { arguments += ["-CAfile", caFile.path, "-verify_hostname", serverName] }
        return try await run(arguments + extra, in: directory)
    }

    /// One field of `openssl x509 -noout -FIELD` (e.g. "serial", "enddate"), value after `=`.
    static func field(_ field: String, of certificate: URL, in directory: URL) async throws -> String {
        let result = try await run(["x509", "-in", certificate.path, "-noout", "-\(field)", "-dateopt", "iso_8601"],
                                   in: directory)
        guard result.succeeded, let line = result.output.split(separator: "\n").first(where: { $0.contains("=") }) else {
            throw HarnessError("openssl x509 -\(field) \(certificate.path) failed: \(result.output)")
        }
        return String(line.split(separator: "=", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces)
    }

    /// The certificate's notAfter.
    static func notAfter(_ certificate: URL, in directory: URL) async throws -> Date {
        let text = try await field("enddate", of: certificate, in: directory) // "2028-03-07 15:38:00Z"
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ssX"
        guard let date = formatter.date(from: text) else { throw HarnessError("unparsable notAfter \(text)") }
        return date
    }

    /// The PEM blocks of certificates in `text` (s_client -showcerts output or a PEM file), in order.
    static func pemBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line == "-----BEGIN CERTIFICATE-----" { current = [line] } else if current != nil {
                current!.append(line)
                if line == "-----END CERTIFICATE-----" {
                    blocks.append(current!.joined(separator: "\n"))
                    current = nil
                }
            }
        }
        return blocks
    }
}
