import AdminAPI
import ArgumentParser
import Foundation

/// `sbc ctl activation`: a trunk group's versioned activation (docs/ACTIVATION.md).
extension CtlCommand {
    struct Activation: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change which member of a trunk group takes new calls first (versioned, with rollback).",
            subcommands: [Show.self, History.self, Set.self, Rollback.self, Cancel.self],
            defaultSubcommand: Show.self)

        static func path(_ group: String) -> String { "/api/v1/trunk-groups/\(Client.pathSegment(group))/activation" }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The version in effect, the queued swap and the order.")
            @OptionGroup var connection: Connection
            @Argument(help: "Trunk group name.") var group: String

            func run() throws {
                let body = try Client(connection).send("GET", Activation.path(group))
                try Output.print(body, json: connection.json, as: ActivationStatus.self, table: Output.activation)
            }
        }

        struct History: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every version, oldest first (0 = configuration order).")
            @OptionGroup var connection: Connection
            @Argument(help: "Trunk group name.") var group: String

            func run() throws {
                let body = try Client(connection).send("GET", Activation.path(group) + "/history")
                try Output.print(body, json: connection.json, as: [ActivationVersionStatus].self,
                                 table: Output.activationHistory)
            }
        }

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "A new version with MEMBER first (queued if calls must drain; 409 while cooling).")
            @OptionGroup var connection: Connection
            @OptionGroup var write: WriteOptions
            @Flag(name: .long, help: "Skip the cooling period and the drain check.") var force = false
            @Argument(help: "Trunk group name.") var group: String
            @Argument(help: "The member that takes new calls first.") var member: String

            func run() throws {
                let body = try Client(connection).activationWrite(
                    "PUT", Activation.path(group), ["member": member, "force": force], write)
                try Output.print(body, json: connection.json, as: ActivationStatus.self, table: Output.activation)
            }
        }

        struct Rollback: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A new version equal to VERSION (0: configuration order).")
            @OptionGroup var connection: Connection
            @OptionGroup var write: WriteOptions
            @Flag(name: .long, help: "Skip the cooling period and the drain check.") var force = false
            @Argument(help: "Trunk group name.") var group: String
            @Argument(help: "The version to restore.") var version: Int

            func run() throws {
                let body = try Client(connection).activationWrite(
                    "POST", Activation.path(group) + "/rollback", ["version": version, "force": force], write)
                try Output.print(body, json: connection.json, as: ActivationStatus.self, table: Output.activation)
            }
        }

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel the swap queued behind the drain check.")
            @OptionGroup var connection: Connection
            @OptionGroup var write: WriteOptions
            @Argument(help: "Trunk group name.") var group: String

            func run() throws {
                let body = try Client(connection).write(Activation.path(group) + "/queued", write, method: "DELETE")
                try Output.print(body, json: connection.json, as: ActivationStatus.self, table: Output.activation)
            }
        }
    }
}

extension CtlCommand.Client {
    /// A write whose body carries fields besides the reason.
    func activationWrite(_ method: String, _ path: String, _ fields: [String: Any], _ options: CtlCommand.WriteOptions)
        throws -> Data
    {
        var object = fields
        object["reason"] = options.reason
        var headers = ["Content-Type": "application/json"]
        if let key = options.idempotencyKey { headers["Idempotency-Key"] = key }
        return try send(method, path, body: try JSONSerialization.data(withJSONObject: object), headers: headers)
    }
}

extension CtlCommand.Output {
    static func activation(_ status: ActivationStatus) -> String {
        var lines: [(String, String)] = [
            ("group", status.group),
            ("version", "\(status.current.version) (\(status.current.firstMember) first, by \(status.current.actor): "
                + "\(status.current.reason))"),
            ("order", status.order.joined(separator: ", ")),
            ("cooling", status.coolingSecondsLeft > 0 ? "\(status.coolingSecondsLeft) s left of \(status.coolingSeconds) s"
                : "none (\(status.coolingSeconds) s after an activation)"),
            ("drain threshold", status.drainThreshold.map(String.init) ?? "none"),
        ]
        if let outcome = status.outcome { lines.insert(("outcome", outcome), at: 1) }
        if let queued = status.queued {
            lines.append(("queued", "version \(queued.version.version) (\(queued.version.firstMember) first) waits for "
                + "\(queued.draining) to drain: \(queued.activeCalls) calls, applies at \(queued.threshold)"))
        }
        if let overflow = status.overflow { lines.append(("overflow", overflow)) }
        return keyValues(lines)
    }

    static func activationHistory(_ versions: [ActivationVersionStatus]) -> String {
        table([["VERSION", "FIRST", "STATE", "APPLIED", "ACTOR", "REASON"]] + versions.map { version in
            let reason = version.reason + (version.rollbackOf.map { " (rollback to \($0))" } ?? "")
                + (version.forced ? " (forced)" : "")
            return ["\(version.version)", version.firstMember, version.state,
                    version.appliedAt.map { $0 > 0 ? time($0) : "-" } ?? "-", version.actor, reason]
        })
    }
}
