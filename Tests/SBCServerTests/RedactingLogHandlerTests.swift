import Logging
import Testing
@testable import SBCServer

/// Keeps what a log handler was given, for assertions.
private final class CapturedLines: @unchecked Sendable {
    var lines: [String] = []
}

private struct CapturingHandler: LogHandler {
    let captured: CapturedLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let text = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
        captured.lines.append("\(event.level) \(event.message) \(text)")
    }
}

@Suite struct RedactingLogHandlerTests {
    private func logger(_ captured: CapturedLines) -> Logger {
        Logger(label: "test") { _ in RedactingLogHandler(CapturingHandler(captured: captured)) }
    }

    @Test func credentialsNeverReachTheLogAtAnyLevel() {
        let captured = CapturedLines()
        var log = logger(captured)
        log[metadataKey: "auth"] = "password=hunter2"
        let header = "Authorization: Digest username=\"sbc\", realm=\"carrier\", nonce=\"abc\", response=\"6629fae49393a05397450978507c4ef1\""
        for level in [Logger.Level.debug, .info, .notice, .warning, .error] {
            log.log(level: level, "relaying \(header)", metadata: [
                "challenge": "WWW-Authenticate: Digest realm=\"x\", nonce=\"n0nce\"",
                "list": .array([.string("token=abcd1234")]),
                "call_id": "call-1@192.0.2.10",
            ])
        }
        #expect(captured.lines.count == 5)
        for line in captured.lines {
            #expect(!line.contains("6629fae49393a05397450978507c4ef1"), "\(line)")
            #expect(!line.contains("hunter2"), "\(line)")
            #expect(!line.contains("n0nce"), "\(line)")
            #expect(!line.contains("abcd1234"), "\(line)")
            #expect(line.contains("Authorization: <redacted>"), "the header name is kept: \(line)")
            #expect(line.contains("call_id=call-1@192.0.2.10"), "ordinary metadata is untouched: \(line)")
        }
    }

    @Test func levelAndMetadataPassThrough() {
        let captured = CapturedLines()
        var log = logger(captured)
        log.logLevel = .warning
        log.info("dropped")
        log.warning("kept", metadata: ["trunk": "carrier-a"])
        #expect(captured.lines == ["warning kept trunk=carrier-a"])
        #expect(log.logLevel == .warning)
    }
}
