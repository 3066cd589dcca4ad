// One SBC node of the scale-out lab: conf/cluster/<name>.yaml copied into the lab's temp dir with
// only what a test must change (the store URL's port, the node's state_dir), run as
// `sbc run --config FILE` with the store password in its environment (SBC_STORE_PASSWORD, the
// config's password_env), its admin API on <address>:8080.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class ClusterNode {
    static let adminToken = "lab-admin-token"   // conf/cluster's token (LAB.md), by its SHA-256 there

    let name: String
    let address: String
    let configURL: URL
    let process: ManagedProcess
    let admin: AdminClient
    var logURL: URL { process.stderrURL }

    /// conf/cluster/`name`.yaml with the store URL's port set to `storePort` and
    /// `node.state_dir` set to `stateDirectory`; throws if either key is not where it was expected.
    static func config(_ name: String, storePort: UInt16, stateDirectory: URL) throws -> String {
        let source = Tools.repoRoot.appendingPathComponent("conf/cluster/\(name).yaml")
        var text = try String(contentsOf: source, encoding: .utf8)
        let url = try NSRegularExpression(pattern: #"(url:\s*postgres://[^@\s]+@[^:/\s]+:)\d+/"#)
        let state = try NSRegularExpression(pattern: #"(?m)^(\s*state_dir:\s*)\S+"#)
        for (regex, template, key) in [(url, "$1\(storePort)/", "store.url"),
                                       (state, "$1\(stateDirectory.path)", "node.state_dir")] {
            let range = NSRange(text.startIndex..., in: text)
            guard regex.numberOfMatches(in: text, range: range) == 1 else {
                throw HarnessError("\(source.path): expected exactly one \(key) to rewrite")
            }
            text = regex.stringByReplacingMatches(in: text, range: range, withTemplate: template)
        }
        return text
    }

    /// Writes the node's config into the lab dir and starts it (the lab stops it at teardown).
    init(lab: Lab, name: String, address: String, storePort: UInt16, storePassword: String) throws {
        self.name = name
        self.address = address
        let stateDirectory = lab.directory.appendingPathComponent("\(name)-state", isDirectory: true)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        configURL = lab.directory.appendingPathComponent("\(name).yaml")
        try Self.config(name, storePort: storePort, stateDirectory: stateDirectory)
            .write(to: configURL, atomically: true, encoding: .utf8)
        let log = lab.directory.appendingPathComponent("\(name).log")
        // env execs the SBC in place: the PID is the node's own.
        process = try ManagedProcess(
            name: name, executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["SBC_STORE_PASSWORD=\(storePassword)", try Tools.sbcBinary().path, "run", "--config", configURL.path],
            workingDirectory: lab.directory, stdout: log, stderr: log)
        admin = AdminClient(base: URL(string: "http://\(address):8080/")!, token: Self.adminToken)
        lab.adopt(process)
    }

    /// Polls `GET /api/v1/health` until it answers 200 (bounded); throws with the log if the node
    /// exits or never answers.
    func waitUntilHealthy(timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw HarnessError("\(name) exited at start-up (\(process.exit.map { "\($0)" } ?? "?"))\n\(logTail())")
            }
            if let health = try? await admin.get("api/v1/health"), health.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(name)'s admin API (http://\(address):8080/api/v1/health) did not answer within \(timeout)\n\(logTail())")
    }

    /// The node's /metrics exposition ("" if it cannot be read).
    func metrics() async -> String {
        (try? await admin.text("metrics"))?.body ?? ""
    }

    func logTail(_ bytes: Int = 3000) -> String {
        "--- \(name) log (\(logURL.path)):\n" + fileTail(logURL, maxBytes: bytes)
    }
}

extension Tools {
    /// `name` on PATH, else in the sbin directories a test runner's PATH may lack (kamailio, runuser).
    static func systemBinary(_ name: String) -> URL? {
        which(name) ?? ["/usr/sbin", "/sbin", "/usr/local/sbin"]
            .map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}

extension Lab {
    /// Fails with the holders (`ss -Hlunp`) if another process holds one of `endpoints` (UDP): the
    /// scale-out lab's addresses are fixed, and a SIPp started on a taken one would seem to listen.
    func requireFreeUDP(_ endpoints: [Endpoint]) async throws {
        let taken = endpoints.filter { Ports.udpInUse($0) }
        guard !taken.isEmpty else { return }
        let holders = (try? await run("ss", URL(fileURLWithPath: "/usr/bin/ss"), ["-Hlunp"], timeout: .seconds(5)))?.stdout
        throw HarnessError("""
            UDP \(taken.map(\.description).joined(separator: ", ")) already in use: stop the one-node lab, \
            scripts/cluster-up (--stop) or stray SIPp peers first
            \(holders ?? "(ss failed)")
            """)
    }
}
