// Reads the SBC's CDRs the way an operator does: `sbc cdr --json` against the test's state dir.
import Foundation

extension Lab {
    /// Stops the SBC (its CDR writer flushes on exit) and returns every CDR row, newest first,
    /// as decoded JSON objects (keys are the column names, `attempts` a list of objects).
    func callDetailRecords() async throws -> [[String: Any]] {
        try await cdrOutput(json: true).split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw CDRReadError(detail: "not a JSON object: \(line)")
            }
            return object
        }
    }

    /// `sbc cdr` as an operator reads it: the text listing.
    func callDetailRecordsText() async throws -> String {
        try await cdrOutput(json: false)
    }

    private func cdrOutput(json: Bool) async throws -> String {
        if let sbc { _ = await sbc.stop(grace: .seconds(Double(options.drainSeconds) + 5)) }
        let output = directory.appendingPathComponent(json ? "cdr.jsonl" : "cdr.txt")
        let process = try ManagedProcess(
            name: "sbc-cdr", executable: try Tools.sbcBinary(),
            arguments: ["cdr", "--state-dir", directory.appendingPathComponent("state").path, "--limit", "10000"]
                + (json ? ["--json"] : []),
            workingDirectory: directory, stdout: output, stderr: directory.appendingPathComponent("cdr.stderr.log"))
        let exit = await process.waitForExit(timeout: .seconds(20))
        guard let exit, exit.exited, exit.status == 0 else {
            throw CDRReadError(detail: "sbc cdr ended with \(exit.map(\.description) ?? "a timeout")")
        }
        return try String(contentsOf: output, encoding: .utf8)
    }
}

struct CDRReadError: Error, CustomStringConvertible {
    let detail: String
    var description: String { "reading CDRs: \(detail)" }
}
