// The SBC under test: `sbc run --config FILE` in a temp dir, stderr (JSON log lines) to a file.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

final class SBCProcess {
    let process: ManagedProcess
    let block: LabBlock
    let configURL: URL
    var stderrURL: URL { process.stderrURL }
    /// Status of the first final response to the readiness OPTIONS.
    private(set) var readinessStatus: Int?

    init(binary: URL, configURL: URL, directory: URL, block: LabBlock) throws {
        self.block = block
        self.configURL = configURL
        self.process = try ManagedProcess(
            name: "sbc", executable: binary, arguments: ["run", "--config", configURL.path],
            workingDirectory: directory,
            stdout: directory.appendingPathComponent("sbc.stdout.log"),
            stderr: directory.appendingPathComponent("sbc.stderr.log"))
    }

    var pid: Int32 { process.pid }
    var isRunning: Bool { process.isRunning }

    /// The last lines the SBC logged, for failure messages.
    func logTail(_ bytes: Int = 3000) -> String {
        "--- sbc stderr (\(stderrURL.path)):\n" + fileTail(stderrURL, maxBytes: bytes)
    }

    /// Polls with OPTIONS from the platform's address until the SBC answers (bounded to `timeout`).
    /// Uses the platform trunk's own port when it is free, else an ephemeral port on the same IP.
    func waitUntilReady(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        let socket: UDPSocket
        if let exact = try? UDPSocket(bind: block.platform.ip, port: block.platform.port) {
            socket = exact
        } else {
            socket = try UDPSocket(bind: block.platform.ip)
        }
        defer { socket.close() }
        let callID = RawSIP.callID(socket.local)
        var cseq = 1
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw HarnessError("the SBC exited during startup (\(process.exit.map { "\($0)" } ?? "?"))\n\(logTail())")
            }
            let branch = RawSIP.branch()
            _ = try? socket.send(RawSIP.options(from: socket.local, to: block.sbcPlatform, callID: callID,
                                            branch: branch, cseq: cseq), to: block.sbcPlatform)
            cseq += 1
            if let response = await socket.awaitResponse(branch: branch, timeout: .milliseconds(200)) {
                readinessStatus = response.statusCode
                return
            }
        }
        let alive = process.isRunning
        process.stopNow()
        throw HarnessError("""
            the SBC did not answer OPTIONS on \(block.sbcPlatform) within \(timeout) \
            (process \(alive ? "still running" : "exited"))
            \(logTail())
            """)
    }

    /// SIGTERM, wait up to `grace` for the drain, SIGKILL after that.
    @discardableResult
    func stop(grace: Duration) async -> ProcessExit {
        await process.stop(signal: SIGTERM, grace: grace)
    }

    /// Non-empty stderr lines that are not JSON objects (the SBC logs JSON lines).
    func nonJSONLogLines() -> [String] {
        let text = String(decoding: FileManager.default.contents(atPath: stderrURL.path) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return false }
            guard let data = trimmed.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) else { return true }
            return !(object is [String: Any])
        }
    }
}
