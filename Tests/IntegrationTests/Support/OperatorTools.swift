// What an operator runs against the lab's admin API: `sbc ctl`, headless Chromium on the status
// page (Scenarios/status_page.py) and schemathesis (scripts/schemathesis). Each is found or
// installed by name; a missing one is a test failure with the way to get it, never a skip.
import Foundation

/// The output of one finished command.
struct CommandResult: CustomStringConvertible {
    let exit: ProcessExit
    let stdout: String
    let stderr: String

    var succeeded: Bool { exit.exited && exit.status == 0 }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    var description: String { "\(exit)\n--- stdout:\n\(stdout.suffix(4000))\n--- stderr:\n\(stderr.suffix(4000))" }
}

extension Lab {
    /// The admin API's base URL (the lab must have `admin = true`).
    var adminURL: String { "http://\(block.admin.ip):\(block.admin.port)" }

    /// Runs `executable` to completion (SIGKILL at `timeout`); output goes to files in the lab dir.
    func run(_ name: String, _ executable: URL, _ arguments: [String], timeout: Duration) async throws -> CommandResult {
        let stdout = directory.appendingPathComponent("\(name).stdout.log")
        let stderr = directory.appendingPathComponent("\(name).stderr.log")
        try? FileManager.default.removeItem(at: stdout)
        try? FileManager.default.removeItem(at: stderr)
        let process = try ManagedProcess(name: name, executable: executable, arguments: arguments,
                                         workingDirectory: directory, stdout: stdout, stderr: stderr)
        adopt(process)
        var exit = await process.waitForExit(timeout: timeout)
        if exit == nil { exit = await process.stop(signal: SIGKILL, grace: .seconds(2)) }
        func text(_ url: URL) -> String { String(decoding: FileManager.default.contents(atPath: url.path) ?? Data(), as: UTF8.self) }
        return CommandResult(exit: exit ?? ProcessExit(exited: false, status: SIGKILL), stdout: text(stdout), stderr: text(stderr))
    }

    /// `sbc ctl ARGUMENTS --url <lab admin> --token <lab token>`.
    func ctl(_ arguments: [String], name: String = "sbc-ctl") async throws -> CommandResult {
        try await run(name, try Tools.sbcBinary(),
                      ["ctl"] + arguments + ["--url", adminURL, "--token", LabConfig.adminToken], timeout: .seconds(20))
    }
}

extension Tools {
    /// `SBC_TEST_CHROMIUM` if set, else Debian's `chromium` on PATH.
    static func chromium() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SBC_TEST_CHROMIUM"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        if let found = which("chromium") ?? which("chromium-browser") { return found }
        throw HarnessError("chromium was not found on PATH (Debian package `chromium`; ./scripts/test installs it) "
            + "or set SBC_TEST_CHROMIUM")
    }

    /// scripts/schemathesis: runs schemathesis from its own virtual environment, installing it
    /// from PyPI on first use.
    static func schemathesis() throws -> URL {
        let script = repoRoot.appendingPathComponent("scripts/schemathesis")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            throw HarnessError("\(script.path) is missing or not executable")
        }
        return script
    }
}
