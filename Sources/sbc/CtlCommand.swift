import AdminAPI
import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sbc ctl`: operate a running SBC through its admin API (see docs/ADMIN.md).
///
/// A thin HTTP client so that everything an operator can do from the shell is exactly what
/// the API allows, with the same scopes and the same audit trail (the actor is the token's
/// name). Output is a table for people, or the API's JSON (`--json`) for scripts; HTTP errors
/// print the API's error body on stderr and exit 1, connection failures exit 2.
struct CtlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Inspect and operate a running SBC through its admin API.",
        subcommands: [Trunks.self, Trunk.self, Lock.self, Unlock.self, Failover.self, Failback.self, Audit.self,
                      Calls.self, Call.self, Hangup.self, Reload.self, Validate.self, Activation.self]
    )
}

// MARK: - Options shared by every subcommand

extension CtlCommand {
    struct Connection: ParsableArguments {
        @Option(name: .long, help: "Base URL of the admin API.")
        var url = "http://127.0.0.1:8080"

        @Option(name: .long, help: ArgumentHelp("Bearer token (default: $SBC_ADMIN_TOKEN).", valueName: "token"))
        var token: String?

        @Flag(name: .long, help: "Print the API's JSON (pretty) instead of a table.")
        var json = false

        /// The token to send; the environment keeps it out of shell history and `ps`.
        var bearer: String? {
            let value = token ?? ProcessInfo.processInfo.environment["SBC_ADMIN_TOKEN"]
            return value?.isEmpty == false ? value : nil
        }
    }

    struct WriteOptions: ParsableArguments {
        @Option(name: .long, help: "Why (required, 1-500 characters; recorded in the audit trail).")
        var reason: String

        @Option(name: .long, help: ArgumentHelp("Idempotency-Key: a retry with the same key is answered from the first response instead of acting twice.", valueName: "key"))
        var idempotencyKey: String?

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, reason.count <= 500 else {
                throw ValidationError("--reason must be 1 to 500 characters")
            }
        }
    }
}

// MARK: - Subcommands

extension CtlCommand {
    struct Trunks: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List trunks with their state.")
        @OptionGroup var connection: Connection

        func run() throws {
            let body = try Client(connection).send("GET", "/api/v1/trunks")
            try Output.print(body, json: connection.json, as: [TrunkStatus].self, table: Output.trunkTable)
        }
    }

    struct Trunk: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one trunk in detail.")
        @OptionGroup var connection: Connection
        @Argument(help: "Trunk name.") var name: String

        func run() throws {
            let body = try Client(connection).send("GET", "/api/v1/trunks/\(Client.pathSegment(name))")
            try Output.print(body, json: connection.json, as: TrunkStatus.self, table: Output.trunkDetail)
        }
    }

    struct Lock: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a trunk out of selection until unlocked.")
        @OptionGroup var connection: Connection
        @OptionGroup var write: WriteOptions
        @Argument(help: "Trunk name.") var name: String

        func run() throws {
            let body = try Client(connection).write("/api/v1/trunks/\(Client.pathSegment(name))/lock", write)
            try Output.print(body, json: connection.json, as: TrunkStatus.self, table: Output.trunkDetail)
        }
    }

    struct Unlock: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a locked trunk to selection.")
        @OptionGroup var connection: Connection
        @OptionGroup var write: WriteOptions
        @Argument(help: "Trunk name.") var name: String

        func run() throws {
            let body = try Client(connection).write("/api/v1/trunks/\(Client.pathSegment(name))/unlock", write)
            try Output.print(body, json: connection.json, as: TrunkStatus.self, table: Output.trunkDetail)
        }
    }

    struct Failover: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Force a trunk group off its preferred trunk(s).")
        @OptionGroup var connection: Connection
        @OptionGroup var write: WriteOptions
        @Argument(help: "Trunk group name.") var group: String

        func run() throws {
            let body = try Client(connection).write("/api/v1/trunk-groups/\(Client.pathSegment(group))/failover", write)
            try Output.print(body, json: connection.json, as: GroupStatus.self, table: Output.groupDetail)
        }
    }

    struct Failback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a trunk group's return to its preferred trunk(s).")
        @OptionGroup var connection: Connection
        @OptionGroup var write: WriteOptions
        @Argument(help: "Trunk group name.") var group: String

        func run() throws {
            let body = try Client(connection).write("/api/v1/trunk-groups/\(Client.pathSegment(group))/failback", write)
            try Output.print(body, json: connection.json, as: GroupStatus.self, table: Output.groupDetail)
        }
    }

    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the audit trail (state changes and operator actions).")
        @OptionGroup var connection: Connection

        @Option(name: .long, help: ArgumentHelp("Only records at or after this time (unix seconds).", valueName: "unix-seconds"))
        var since: Double?

        @Option(name: .long, help: "At most this many records (1-1000).")
        var limit: Int = 100

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
        }

        func run() throws {
            var query = "limit=\(limit)"
            if let since { query += "&since=\(since)" }
            let body = try Client(connection).send("GET", "/api/v1/audit?\(query)")
            try Output.print(body, json: connection.json, as: [AuditRecord].self, table: Output.auditTable)
        }
    }
}

// MARK: - HTTP

extension CtlCommand {
    /// Blocking HTTP for a one-shot CLI: a URLSession task and a semaphore (the root command is
    /// synchronous, and an async subcommand cannot run under a synchronous root).
    struct Client {
        let base: String
        let token: String?

        init(_ connection: Connection) {
            var base = connection.url
            while base.hasSuffix("/") { base.removeLast() }
            self.base = base
            self.token = connection.bearer
        }

        /// A name as one percent-encoded path segment.
        static func pathSegment(_ name: String) -> String {
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "/?#%")
            return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
        }

        func write(_ path: String, _ options: WriteOptions, method: String = "POST") throws -> Data {
            let body = try JSONSerialization.data(withJSONObject: ["reason": options.reason])
            var headers = ["Content-Type": "application/json"]
            if let key = options.idempotencyKey { headers["Idempotency-Key"] = key }
            return try send(method, path, body: body, headers: headers)
        }

        /// The response body of a 2xx; otherwise prints the error body and exits.
        func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> Data {
            guard let url = URL(string: base + path) else {
                throw ValidationError("invalid --url \(base)")
            }
            var request = URLRequest(url: url, timeoutInterval: 15)
            request.httpMethod = method
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }

            let box = ResultBox()
            let done = DispatchSemaphore(value: 0)
            URLSession.shared.dataTask(with: request) { data, response, error in
                box.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
                done.signal()
            }.resume()
            done.wait()
            let (data, status, error) = box.get()

            if let error {
                FileHandle.standardError.write(Data("sbc ctl: cannot reach \(base): \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
            let payload = data ?? Data()
            guard let status, (200..<300).contains(status) else {
                var message = "sbc ctl: HTTP \(status ?? 0): \(String(decoding: payload, as: UTF8.self))\n"
                if status == 401, token == nil { message += "sbc ctl: no token: pass --token or set SBC_ADMIN_TOKEN\n" }
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitCode(1)
            }
            return payload
        }
    }

    /// Hands the URLSession callback's result to the waiting thread.
    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        private var status: Int?
        private var error: (any Error)?

        func set(data: Data?, status: Int?, error: (any Error)?) {
            lock.lock()
            defer { lock.unlock() }
            (self.data, self.status, self.error) = (data, status, error)
        }

        func get() -> (Data?, Int?, (any Error)?) {
            lock.lock()
            defer { lock.unlock() }
            return (data, status, error)
        }
    }
}

// MARK: - Output

extension CtlCommand {
    enum Output {
        /// Pretty JSON with `--json`, otherwise the decoded value as text.
        static func print<Value: Decodable>(_ body: Data, json: Bool, as type: Value.Type, table: (Value) -> String) throws {
            if json {
                let object = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
                let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                Swift.print(String(decoding: pretty, as: UTF8.self))
                return
            }
            do {
                Swift.print(table(try JSONDecoder().decode(type, from: body)), terminator: "")
            } catch {
                // An API newer than this CLI: show what it said rather than failing.
                Swift.print(String(decoding: body, as: UTF8.self))
            }
        }

        static func trunkTable(_ trunks: [TrunkStatus]) -> String {
            var rows = [["TRUNK", "STATE", "SELECTABLE", "SINCE", "CAUSE", "ACTIVE", "RTT", "LOCKED BY"]]
            for trunk in trunks {
                rows.append([
                    trunk.name,
                    trunk.state + (trunk.awaitingApproval ? " (awaiting approval)" : ""),
                    trunk.selectable ? "yes" : "no",
                    time(trunk.since),
                    trunk.cause,
                    String(trunk.counters.activeCalls),
                    trunk.lastProbeRTTMs.map { String(format: "%.1f ms", $0) } ?? "-",
                    trunk.lockedBy ?? "-",
                ])
            }
            return table(rows)
        }

        static func trunkDetail(_ trunk: TrunkStatus) -> String {
            var lines: [(String, String)] = [
                ("trunk", trunk.name),
                ("state", trunk.state),
                ("since", time(trunk.since)),
                ("cause", trunk.cause),
            ]
            if let detail = trunk.detail { lines.append(("detail", detail)) }
            lines.append(("selectable", trunk.selectable ? "yes" : "no"))
            if let lockedBy = trunk.lockedBy { lines.append(("locked by", lockedBy)) }
            if let reason = trunk.lockReason { lines.append(("lock reason", reason)) }
            if let until = trunk.quarantineUntil { lines.append(("quarantined until", time(until))) }
            if trunk.awaitingApproval { lines.append(("awaiting approval", "yes")) }
            if let rtt = trunk.lastProbeRTTMs { lines.append(("last probe RTT", String(format: "%.1f ms", rtt))) }
            let counters = trunk.counters
            lines += [
                ("probes sent/failed", "\(counters.probesSent)/\(counters.probesFailed)"),
                ("consecutive fail/ok", "\(counters.consecutiveFailures)/\(counters.consecutiveSuccesses)"),
                ("active calls", String(counters.activeCalls)),
                ("calls attempted", String(counters.callsAttempted)),
                ("failovers", String(counters.failovers)),
            ]
            return keyValues(lines)
        }

        static func groupDetail(_ group: GroupStatus) -> String {
            keyValues([
                ("group", group.name),
                ("strategy", group.strategy),
                ("fail-back", group.failBack),
                ("forced failover", group.forcedFailover ? "yes" : "no"),
                ("members", group.members.joined(separator: ", ")),
                ("awaiting approval", group.awaitingApproval.isEmpty ? "-" : group.awaitingApproval.joined(separator: ", ")),
            ])
        }

        static func auditTable(_ records: [AuditRecord]) -> String {
            var rows = [["AT", "SUBJECT", "KIND", "CHANGE", "CAUSE", "ACTOR", "DETAIL"]]
            for record in records {
                let change = record.from == nil && record.to == nil ? "-" : "\(record.from ?? "-") -> \(record.to ?? "-")"
                rows.append([time(record.at), record.subject, record.kind, change, record.cause, record.actor ?? "-", record.detail ?? ""])
            }
            return table(rows)
        }

        /// Unix seconds as UTC ISO 8601, the format of the SBC's logs.
        static func time(_ seconds: Double) -> String {
            Date(timeIntervalSince1970: seconds).formatted(.iso8601)
        }

        static func table(_ rows: [[String]]) -> String {
            guard let columns = rows.first?.count else { return "" }
            var widths = Array(repeating: 0, count: columns)
            for row in rows {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            return rows.map { row in
                row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }

        static func keyValues(_ lines: [(String, String)]) -> String {
            let width = lines.map(\.0.count).max() ?? 0
            return lines.map { key, value in
                (key + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + " " + value
            }.joined(separator: "\n") + "\n"
        }
    }
}
