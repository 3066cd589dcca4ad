// Running SIPp as a peer: a callee (UAS) in the background or a caller (UAC) to completion, each
// bounded in time, with its message trace, error trace, statistics and final screen in files.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One message in a SIPp `-trace_msg` log.
struct SIPpLogEntry: Sendable {
    enum Direction: Sendable { case sent, received }
    let direction: Direction
    let message: SIPMessage
}

/// What a finished SIPp run left behind.
struct SIPpResult: Sendable, CustomStringConvertible {
    let name: String
    let exit: ProcessExit
    /// True if the harness had to stop a caller that overran its deadline.
    let timedOut: Bool
    let entries: [SIPpLogEntry]
    /// Last cumulative counters from the -trace_stat CSV (e.g. "SuccessfulCall(C)").
    let stats: [String: String]
    let errorLog: String
    let screen: String
    let directory: URL

    /// SIPp's own verdict: exit status 0 means every call succeeded.
    var allCallsSucceeded: Bool { exit.exited && exit.status == 0 && !timedOut }

    var received: [SIPMessage] { entries.filter { $0.direction == .received }.map(\.message) }
    var sent: [SIPMessage] { entries.filter { $0.direction == .sent }.map(\.message) }

    func receivedRequests(_ method: String) -> [SIPMessage] { received.filter { $0.method == method } }
    func sentRequests(_ method: String) -> [SIPMessage] { sent.filter { $0.method == method } }
    func receivedResponses(_ code: Int, to method: String? = nil) -> [SIPMessage] {
        received.filter { $0.statusCode == code && (method == nil || $0.cseqMethod == method) }
    }
    func sentResponses(_ code: Int, to method: String? = nil) -> [SIPMessage] {
        sent.filter { $0.statusCode == code && (method == nil || $0.cseqMethod == method) }
    }

    /// Call-IDs of the initial INVITEs (no To tag) this SIPp received or sent, retransmissions folded.
    var receivedInitialInviteCallIDs: Set<String> {
        Set(receivedRequests("INVITE").filter { $0.tag("To") == nil }.compactMap(\.callID))
    }
    var sentInitialInviteCallIDs: Set<String> {
        Set(sentRequests("INVITE").filter { $0.tag("To") == nil }.compactMap(\.callID))
    }

    func counter(_ name: String) -> Int? { stats[name].flatMap { Int($0) } }
    var successfulCalls: Int? { counter("SuccessfulCall(C)") }
    var failedCalls: Int? { counter("FailedCall(C)") }

    var description: String {
        "SIPp \(name): \(exit), successful=\(successfulCalls.map(String.init) ?? "?") failed=\(failedCalls.map(String.init) ?? "?")"
    }

    /// A compact report for failure messages.
    var diagnostics: String {
        """
        --- \(name): \(exit)\(timedOut ? " (stopped at the harness deadline)" : ""); \
        successful=\(successfulCalls.map(String.init) ?? "?") failed=\(failedCalls.map(String.init) ?? "?"); \
        logs in \(directory.path)
        --- errors:
        \(String(errorLog.prefix(3000)))
        --- final screen:
        \(String(screen.suffix(3000)))
        """
    }
}

enum SIPpLog {
    /// Parses a `-trace_msg` file: entries start with a dashed line and a date, then a line
    /// "UDP message sent (N bytes):" or "UDP message received [N] bytes :", then the message.
    static func parse(_ text: String) -> [SIPpLogEntry] {
        var entries: [SIPpLogEntry] = []
        var direction: SIPpLogEntry.Direction?
        var buffer: [Substring] = []
        func flush() {
            if let direction, let message = SIPMessage(text: buffer.joined(separator: "\r\n")) {
                entries.append(SIPpLogEntry(direction: direction, message: message))
            }
            direction = nil
            buffer = []
        }
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.hasPrefix("----------------------------------------------- ") {
                flush()
                continue
            }
            if direction == nil && buffer.isEmpty {
                if line.contains("message sent") { direction = .sent; continue }
                if line.contains("message received") { direction = .received; continue }
                continue
            }
            buffer.append(line)
        }
        flush()
        return entries
    }

    /// The last data row of a `-trace_stat` CSV as a name -> value map.
    static func lastStats(_ text: String) -> [String: String] {
        let rows = text.split(separator: "\n").map { $0.split(separator: ";", omittingEmptySubsequences: false) }
        guard let header = rows.first, rows.count >= 2, let last = rows.last else { return [:] }
        var out: [String: String] = [:]
        for (i, name) in header.enumerated() where i < last.count {
            out[String(name)] = String(last[i])
        }
        return out
    }
}

/// A running SIPp instance.
final class SIPpProcess {
    let name: String
    let local: Endpoint
    let directory: URL
    let process: ManagedProcess
    var messageFile: URL { directory.appendingPathComponent("\(name).messages.log") }
    var errorFile: URL { directory.appendingPathComponent("\(name).errors.log") }
    var statFile: URL { directory.appendingPathComponent("\(name).stat.csv") }
    var screenFile: URL { directory.appendingPathComponent("\(name).screen.log") }

    /// - Parameters:
    ///   - remote: where a caller sends its INVITEs; nil for a callee.
    ///   - calls: -m (callers only: a callee with -m would count the SBC's OPTIONS probes as calls).
    ///   - pauseMs: -d, the length of `<pause/>` in the scenarios.
    init(name: String, scenario: String, local: Endpoint, remote: Endpoint?, directory: URL,
         calls: Int? = nil, rate: Int? = nil, pauseMs: Int = 200, service: String = "+15551230000",
         extraArguments: [String] = []) throws {
        self.name = name
        self.local = local
        self.directory = directory
        let scenarioURL = try Tools.scenario(scenario)
        var args: [String] = [
            "-sf", scenarioURL.path,
            "-i", local.ip, "-p", String(local.port),
            "-mi", local.ip,
            "-t", "u1",
            "-nostdin",
            "-d", String(pauseMs),
            "-s", service,
            "-recv_timeout", "15000",
            "-timeout", "60s",
            "-max_recv_loops", "1000",
            "-trace_msg", "-message_file", directory.appendingPathComponent("\(name).messages.log").path,
            "-trace_err", "-error_file", directory.appendingPathComponent("\(name).errors.log").path,
            "-trace_stat", "-stf", directory.appendingPathComponent("\(name).stat.csv").path, "-fd", "1",
            "-trace_screen", "-screen_file", directory.appendingPathComponent("\(name).screen.log").path,
        ]
        if remote != nil {
            // A caller: answer out-of-call requests (OPTIONS probes) with 200, no timewait.
            args += ["-oocsf", try Tools.scenario("ooc_answer").path]
            if let calls { args += ["-m", String(calls)] }
            if let rate { args += ["-r", String(rate)] }
        } else {
            // A callee: auto-answer OPTIONS/INFO/UPDATE/NOTIFY outside the scenario (SBC probes).
            args += ["-aa"]
        }
        args += extraArguments
        if let remote { args.append(remote.description) }
        self.process = try ManagedProcess(
            name: "sipp \(name)", executable: try Tools.sipp(), arguments: args, workingDirectory: directory,
            stdout: directory.appendingPathComponent("\(name).stdout.log"),
            stderr: directory.appendingPathComponent("\(name).stdout.log"))
    }

    /// For callees: waits until SIPp holds its UDP port.
    func waitUntilListening(timeout: Duration = .seconds(5)) async throws {
        let ok = await waitUntilBound(local, timeout: timeout) { process.isRunning }
        if !ok {
            let exit = process.exit.map { "\($0)" } ?? "still running"
            await process.stop()
            throw HarnessError("""
                SIPp \(name) did not bind \(local) (\(exit)):
                \(fileTail(process.stdoutURL, maxBytes: 2000))
                \(fileHead(errorFile, maxBytes: 2000))
                """)
        }
    }

    /// For callers: waits for SIPp to finish on its own, stopping it at the deadline.
    func waitForCompletion(timeout: Duration = .seconds(60)) async -> SIPpResult {
        var timedOut = false
        if await process.waitForExit(timeout: timeout) == nil {
            timedOut = true
            await process.stop(signal: SIGUSR1, grace: .seconds(2)) // SIPp's soft quit first
        }
        let exit = await process.stop()
        return collect(exit: exit, timedOut: timedOut)
    }

    /// For callees: stops SIPp (SIGTERM, which SIPp turns into a clean exit that flushes its logs).
    func stop() async -> SIPpResult {
        let exit = await process.stop(signal: SIGTERM, grace: .seconds(5))
        return collect(exit: exit, timedOut: false)
    }

    private func collect(exit: ProcessExit, timedOut: Bool) -> SIPpResult {
        let text = (try? String(contentsOf: messageFile, encoding: .utf8))
            ?? String(decoding: FileManager.default.contents(atPath: messageFile.path) ?? Data(), as: UTF8.self)
        let stats = String(decoding: FileManager.default.contents(atPath: statFile.path) ?? Data(), as: UTF8.self)
        let errors = String(decoding: FileManager.default.contents(atPath: errorFile.path) ?? Data(), as: UTF8.self)
        var screen = String(decoding: FileManager.default.contents(atPath: screenFile.path) ?? Data(), as: UTF8.self)
        if screen.isEmpty { screen = fileTail(process.stdoutURL, maxBytes: 3000) }
        return SIPpResult(name: name, exit: exit, timedOut: timedOut, entries: SIPpLog.parse(text),
                          stats: SIPpLog.lastStats(stats), errorLog: errors, screen: screen, directory: directory)
    }
}
