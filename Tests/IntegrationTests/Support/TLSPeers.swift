// The scripted TLS peers (Python's ssl module; Debian's SIPp has no TLS): tls_uas.py as a carrier
// that answers over TLS and logs every handshake and request as a JSON line, and tls_uac.py as a
// platform that makes N calls over one TLS connection and prints a JSON summary. Both are
// started by PID like every other peer and bounded in time.
import Foundation

enum Python {
    /// `SBC_TEST_PYTHON` if set, else Debian's /usr/bin/python3, else `python3` on PATH.
    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SBC_TEST_PYTHON"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") { return URL(fileURLWithPath: "/usr/bin/python3") }
        if let found = Tools.which("python3") { return found }
        throw HarnessError("python3 is not installed (the TLS peers are Python scripts using its ssl module)")
    }

    /// A script of the Scenarios folder.
    static func script(_ name: String) throws -> URL {
        let url = try Tools.scenariosDirectory().appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw HarnessError("\(url.path) does not exist") }
        return url
    }
}

extension Lab {
    /// Starts a stepped Python peer (`arguments` begin with its script): its JSON summary on
    /// stdout (`<name>.json`), its progress as JSON lines on stderr (`<name>.progress.jsonl`).
    func startSteppedScript(_ name: String, arguments: [String]) throws -> ManagedProcess {
        let process = try ManagedProcess(
            name: name, executable: try Python.binary(), arguments: arguments, workingDirectory: directory,
            stdout: directory.appendingPathComponent("\(name).json"),
            stderr: directory.appendingPathComponent("\(name).progress.jsonl"))
        adopt(process)
        return process
    }
}

/// JSON-lines output of a peer, parsed.
func jsonLines(_ url: URL) -> [[String: Any]] {
    let text = String(decoding: FileManager.default.contents(atPath: url.path) ?? Data(), as: UTF8.self)
    return text.split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

/// tls_uas.py: a carrier over TLS with one of the lab certificates.
final class TLSCarrier {
    let name: String
    let endpoint: Endpoint
    let process: ManagedProcess

    /// Starts the carrier on `endpoint` presenting `certificate` (a lab certificate name: `carrier-a`,
    /// `selfsigned`, `expired`) and waits until it listens. `requireClientCertificate` asks the
    /// SBC for a certificate of the lab CA.
    init(lab: Lab, name: String, at endpoint: Endpoint, certificate: String, requireClientCertificate: Bool = false,
         inviteStatus: Int = 200) async throws {
        self.name = name
        self.endpoint = endpoint
        let certificates = try lab.certificates
        var arguments = [try Python.script("tls_uas.py").path, "--ip", endpoint.ip, "--port", String(endpoint.port),
                         "--cert", certificates.appendingPathComponent("\(certificate).pem").path,
                         "--key", certificates.appendingPathComponent("\(certificate).key").path,
                         "--invite-status", String(inviteStatus)]
        if requireClientCertificate {
            arguments += ["--ca", certificates.appendingPathComponent("ca.pem").path, "--require-client-cert"]
        }
        process = try ManagedProcess(
            name: name, executable: try Python.binary(), arguments: ["-u"] + arguments, workingDirectory: lab.directory,
            stdout: lab.directory.appendingPathComponent("\(name).jsonl"),
            stderr: lab.directory.appendingPathComponent("\(name).stderr.log"))
        lab.adopt(process)
        guard await waitFor(timeout: .seconds(10), { $0["event"] as? String == "listening" }) != nil else {
            await process.stop()
            throw HarnessError("\(name) (tls_uas.py) did not listen on \(endpoint)\n\(logTail)")
        }
    }

    var events: [[String: Any]] { jsonLines(process.stdoutURL) }
    var handshakes: [[String: Any]] { events.filter { $0["event"] as? String == "handshake" } }
    var failedHandshakes: [[String: Any]] { events.filter { $0["event"] as? String == "handshake_failed" } }
    func requests(_ method: String) -> [[String: Any]] {
        events.filter { $0["event"] as? String == "request" && $0["method"] as? String == method }
    }

    /// Polls the log until `match` finds an event (bounded).
    func waitFor(timeout: Duration, _ match: ([String: Any]) -> Bool) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = events.first(where: match) { return found }
            if !process.isRunning { return events.first(where: match) }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }

    var logTail: String {
        "--- \(name) (\(process.stdoutURL.path)):\n" + fileTail(process.stdoutURL, maxBytes: 3000)
            + "\n--- stderr:\n" + fileTail(process.stderrURL, maxBytes: 2000)
    }
}

/// What tls_uac.py reported.
struct TLSPlatformResult: @unchecked Sendable, CustomStringConvertible {
    let exit: ProcessExit
    /// The JSON summary on stdout (empty if it printed none).
    let summary: [String: Any]
    let stdout: String
    let stderr: String

    var handshake: [String: Any] { summary["handshake"] as? [String: Any] ?? [:] }
    /// The TLS error if the handshake (or the first read after it) failed.
    var handshakeError: String? { handshake["error"] as? String }
    var version: String? { handshake["version"] as? String }
    var calls: [[String: Any]] { summary["calls"] as? [[String: Any]] ?? [] }
    var completed: Int { summary["completed"] as? Int ?? 0 }
    var allCompleted: Bool { exit.exited && exit.status == 0 }

    var description: String { "tls_uac.py: \(exit)\n\(stdout)\n--- stderr:\n\(String(stderr.suffix(2000)))" }
}

/// tls_uac.py running: N calls in sequence over one TLS connection.
final class TLSPlatform {
    let process: ManagedProcess
    let goFile: URL

    /// - Parameters:
    ///   - certificate: a lab certificate the platform presents (`platform`, `selfsigned`), or none.
    ///   - verify: check the SBC's chain against the lab CA and its name against `serverName`.
    ///   - stepped: before each call after the first, wait for `proceed()` (the test does
    ///     something between calls on the same connection).
    init(lab: Lab, from ip: String, to target: Endpoint, calls: Int, certificate: String? = nil,
         serverName: String = "sbc.lab", verify: Bool = true, stepped: Bool = false, name: String = "tls-uac") throws {
        let certificates = try lab.certificates
        goFile = lab.directory.appendingPathComponent("\(name).go")
        var arguments = ["-u", try Python.script("tls_uac.py").path, "--host", target.ip, "--port", String(target.port),
                         "--local-ip", ip, "--calls", String(calls), "--server-name", serverName]
        if verify { arguments += ["--ca", certificates.appendingPathComponent("ca.pem").path] }
        if let certificate {
            arguments += ["--cert", certificates.appendingPathComponent("\(certificate).pem").path,
                          "--key", certificates.appendingPathComponent("\(certificate).key").path]
        }
        if stepped { arguments += ["--go-file", goFile.path] }
        process = try lab.startSteppedScript(name, arguments: arguments)
    }

    /// The progress lines so far (`{"event": "handshake"|"call", ...}` on stderr).
    var progress: [[String: Any]] { jsonLines(process.stderrURL) }
    var finishedCalls: Int { progress.filter { $0["event"] as? String == "call" }.count }

    /// Lets a stepped run make its next call.
    func proceed() throws {
        try Data().write(to: goFile)
    }

    /// Waits until `count` calls have ended (bounded); false at the deadline or if it exited short.
    func waitForCalls(_ count: Int, timeout: Duration = .seconds(15)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if finishedCalls >= count { return true }
            if !process.isRunning { return finishedCalls >= count }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    /// Waits for it to exit (SIGKILL at `timeout`) and parses its summary.
    func result(timeout: Duration = .seconds(30)) async -> TLSPlatformResult {
        var exit = await process.waitForExit(timeout: timeout)
        if exit == nil { exit = await process.stop(signal: SIGKILL, grace: .seconds(1)) }
        let stdout = String(decoding: FileManager.default.contents(atPath: process.stdoutURL.path) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: FileManager.default.contents(atPath: process.stderrURL.path) ?? Data(), as: UTF8.self)
        let summary = stdout.split(separator: "\n").last.flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        } ?? [:]
        return TLSPlatformResult(exit: exit ?? ProcessExit(exited: false, status: SIGKILL), summary: summary,
                                 stdout: stdout, stderr: stderr)
    }
}

extension Lab {
    /// Runs tls_uac.py to completion: `calls` calls over one TLS connection from `ip` to `target`.
    func runTLSPlatform(from ip: String, to target: Endpoint, calls: Int, certificate: String? = nil,
                        serverName: String = "sbc.lab", verify: Bool = true, name: String = "tls-uac",
                        timeout: Duration = .seconds(30)) async throws -> TLSPlatformResult {
        let platform = try TLSPlatform(lab: self, from: ip, to: target, calls: calls, certificate: certificate,
                                       serverName: serverName, verify: verify, name: name)
        return await platform.result(timeout: timeout)
    }
}
