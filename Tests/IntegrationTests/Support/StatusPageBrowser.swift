// Scenarios/status_page.py running: headless Chromium on the SBC's status page, stepped by the
// test (render, go, the change shows up) through a go file, like tls_uac.py.
import Foundation

final class StatusPageBrowser {
    let process: ManagedProcess
    let goFile: URL
    let output: URL

    /// Loads `url` and waits for the page to show `trunks`; after `proceed()`, waits until the
    /// JavaScript expression `until` is true, without reloading.
    init(lab: Lab, url: String, trunks: [String], until: String, timeout: Duration = .seconds(20),
         name: String = "status-page") throws {
        goFile = lab.directory.appendingPathComponent("\(name).go")
        output = lab.directory.appendingPathComponent(name, isDirectory: true)
        var arguments = ["-u", try Python.script("status_page.py").path, "--chromium", try Tools.chromium().path,
                         "--url", url, "--out", output.path, "--go-file", goFile.path, "--until", until,
                         "--timeout", String(timeout.components.seconds)]
        for trunk in trunks { arguments += ["--expect-trunk", trunk] }
        process = try lab.startSteppedScript(name, arguments: arguments)
    }

    /// The progress lines so far (`{"event": "rendered"|"go", ...}`).
    var progress: [[String: Any]] { jsonLines(process.stderrURL) }

    /// Waits until the page rendered (or the script gave up); its `rendered` event.
    func waitUntilRendered(timeout: Duration = .seconds(40)) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = progress.first(where: { $0["event"] as? String == "rendered" }) { return event }
            if !process.isRunning { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func proceed() throws {
        try Data().write(to: goFile)
    }

    /// Waits for the script to end and returns its summary (empty if it printed none).
    func summary(timeout: Duration = .seconds(40)) async -> [String: Any] {
        if await process.waitForExit(timeout: timeout) == nil { await process.stop(signal: SIGKILL, grace: .seconds(1)) }
        return jsonLines(process.stdoutURL).last ?? [:]
    }

    func html(_ file: String) -> String {
        String(decoding: FileManager.default.contents(atPath: output.appendingPathComponent(file).path) ?? Data(), as: UTF8.self)
    }

    var screenshot: URL { output.appendingPathComponent("page.png") }

    var diagnostics: String {
        "progress: \(String(decoding: FileManager.default.contents(atPath: process.stderrURL.path) ?? Data(), as: UTF8.self))"
    }
}
