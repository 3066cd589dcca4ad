import AdminAPI
import ArgumentParser
import Foundation

// `sbc ctl validate TRUNK` (docs/VALIDATION.md): start a DID validation run, wait for it, print
// one row per DID.
extension CtlCommand {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a trunk's DIDs with test calls through it, wait for the run and print the verdicts.")
        @OptionGroup var connection: Connection
        @Option(name: .long, help: "Why (1-500 characters; recorded in the audit trail).")
        var reason = "DID validation from sbc ctl"
        @Option(name: .long, help: "Give up waiting after this many seconds (the run goes on in the SBC).")
        var wait = 600
        @Flag(name: .long, help: "Start the run and print it without waiting.")
        var noWait = false
        @Argument(help: "The trunk whose `validation.dids` to call.") var trunk: String

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, reason.count <= 500 else {
                throw ValidationError("--reason must be 1 to 500 characters")
            }
            guard (1...86_400).contains(wait) else { throw ValidationError("--wait must be 1 to 86400 seconds") }
        }

        func run() throws {
            let client = Client(connection)
            let segment = Client.pathSegment(trunk)
            let body = try JSONSerialization.data(withJSONObject: ["reason": reason])
            let started = try JSONDecoder().decode(ValidationRunStatus.self, from: client.send(
                "POST", "/api/v1/trunks/\(segment)/validate", body: body, headers: ["Content-Type": "application/json"]))
            var latest = started
            let deadline = Date().addingTimeInterval(TimeInterval(wait))
            while !noWait, latest.state == "running", Date() < deadline {
                Thread.sleep(forTimeInterval: 0.5)
                let body = try client.send("GET", "/api/v1/trunks/\(segment)/validation")
                let run = try JSONDecoder().decode(ValidationRunStatus.self, from: body)
                guard run.run == started.run else { break }  // a newer run started meanwhile
                latest = run
            }
            let data = try JSONEncoder().encode(latest)
            try Output.print(data, json: connection.json, as: ValidationRunStatus.self, table: Output.validationTable)
            if latest.state == "running", !noWait {
                FileHandle.standardError.write(Data("sbc ctl: run \(latest.run) still running after \(wait) s\n".utf8))
                throw ExitCode(3)
            }
            if latest.passed == false { throw ExitCode(1) }
        }
    }
}

extension CtlCommand.Output {
    static func validationTable(_ run: ValidationRunStatus) -> String {
        var rows = [["DID", "CODE", "MS", "VERDICT", "REASON"]]
        for result in run.results {
            rows.append([result.did, result.status.map(String.init) ?? "-",
                         result.firstResponseMs.map { String(format: "%.0f", $0) } ?? "-", result.verdict, result.reason])
        }
        let verdict = run.passed.map { $0 ? "passed" : "failed" } ?? run.state
        return table(rows) + "run \(run.run) of \(run.trunk): \(verdict), \(run.results.count)/\(run.dids) DIDs\n"
    }
}
