import Glibc
import Logging

/// One JSON object per line on stderr: what log shippers (Loki, Elastic, journald) ingest without
/// parsing rules. Metadata keys (`call_id`, `trunk`, ...) become top-level fields.
///
/// Lines are built as bytes and written with one write(2): the lab logs four lines per call at
/// info level, and Foundation formatting was a measurable share of the SBC's CPU per call.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: "{\"ts\":\"".utf8)
        Self.appendTimestamp(to: &line)
        line.append(contentsOf: "\",\"level\":\"\(event.level.rawValue)\",\"msg\":".utf8)
        Self.appendQuoted(event.message.description, to: &line)
        line.append(contentsOf: ",\"logger\":".utf8)
        Self.appendQuoted(label, to: &line)
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        for key in fields.keys.sorted() {
            line.append(UInt8(ascii: ","))
            Self.appendQuoted(key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendQuoted(fields[key]!.description, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        line.withUnsafeBytes { buffer in _ = write(STDERR_FILENO, buffer.baseAddress, buffer.count) }
    }

    /// RFC 3339 UTC with milliseconds.
    private static func appendTimestamp(to line: inout [UInt8]) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &time)
        func digits(_ value: Int, _ width: Int) {
            var text = Array(String(value).utf8)
            while text.count < width { text.insert(UInt8(ascii: "0"), at: 0) }
            line.append(contentsOf: text)
        }
        digits(Int(time.tm_year) + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(Int(time.tm_mon) + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(Int(time.tm_mday), 2)
        line.append(UInt8(ascii: "T"))
        digits(Int(time.tm_hour), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(time.tm_min), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(time.tm_sec), 2)
        line.append(UInt8(ascii: "."))
        digits(Int(spec.tv_nsec) / 1_000_000, 3)
        line.append(UInt8(ascii: "Z"))
    }

    static func appendQuoted(_ text: String, to line: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): line.append(contentsOf: "\\\\".utf8)
            case 0x0A: line.append(contentsOf: "\\n".utf8)
            case 0x0D: line.append(contentsOf: "\\r".utf8)
            case 0x09: line.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                line.append(contentsOf: "\\u00".utf8)
                line.append(hex[Int(byte >> 4)])
                line.append(hex[Int(byte & 0xF)])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }
}
