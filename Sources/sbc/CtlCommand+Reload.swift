import AdminAPI
import ArgumentParser
import Foundation

// `sbc ctl reload` (docs/RELOAD.md): the admin API's `POST /api/v1/config/reload`, like SIGHUP
// but with the token's name in the audit trail and the answer printed.
extension CtlCommand {
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read the SBC's configuration file and apply what can change without a restart.",
            discussion: "A file with problems changes nothing: they are printed with their key and line and the "
                + "command exits 1. Changes that need a restart are listed and not applied.")
        @OptionGroup var connection: Connection

        @Option(name: .long, help: "Why (1-500 characters; recorded in the audit trail).")
        var reason = "configuration reloaded with sbc ctl"

        @Option(name: .long, help: ArgumentHelp("Idempotency-Key: a retry with the same key is answered from the first response.", valueName: "key"))
        var idempotencyKey: String?

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, reason.count <= 500 else {
                throw ValidationError("--reason must be 1 to 500 characters")
            }
        }

        func run() throws {
            let body = try JSONSerialization.data(withJSONObject: ["reason": reason])
            var headers = ["Content-Type": "application/json"]
            if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
            let answer = try Client(connection).send("POST", "/api/v1/config/reload", body: body, headers: headers)
            try Output.print(answer, json: connection.json, as: ConfigReloadReport.self, table: Output.reloadReport)
        }
    }
}

extension CtlCommand.Output {
    static func reloadReport(_ report: ConfigReloadReport) -> String {
        var lines = ["\(report.result): \(report.path) generation \(report.configuration.generation) "
            + "sha256 \(report.configuration.digest)"]
        func describe(_ change: ConfigReloadReport.Change) -> String {
            "  \(change.section)\(change.name.map { " \($0)" } ?? "") \(change.change)"
                + (change.keys.isEmpty ? "" : " (\(change.keys.joined(separator: ", ")))")
        }
        if !report.applied.isEmpty { lines.append("applied:") }
        lines += report.applied.map(describe)
        if !report.restartRequired.isEmpty { lines.append("needs a restart (not applied):") }
        lines += report.restartRequired.map(describe)
        for problem in report.problems {
            lines.append("problem: line \(problem.line.map(String.init) ?? "-"): \(problem.key): \(problem.message)")
        }
        for warning in report.warnings {
            lines.append("warning: line \(warning.line.map(String.init) ?? "-"): \(warning.key): \(warning.message)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
