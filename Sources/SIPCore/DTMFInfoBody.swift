/// A DTMF digit carried in a SIP INFO request's body, in either format carriers use.
///
/// - `application/dtmf-relay` (Cisco style, the most widely accepted): `Signal=<digit>` and
///   `Duration=<milliseconds>` lines, keys case-insensitive, blanks around `=` allowed;
/// - `application/dtmf` (the RFC 2976 era format): the digit alone.
///
/// Both are parsed whatever the trunk is configured to send, and a few common variants are
/// taken too (event codes `10`-`16` for `*`, `#`, `A`-`D` and flash; `Signal=` lines in an
/// `application/dtmf` body). The digit is a number to the SBC: an RFC 4733 event code (0-9, 10
/// `*`, 11 `#`, 12-15 `A`-`D`, 16 flash), the same value the relay puts in telephone-event packets.
///
/// Digits may be card numbers: whoever logs one does so at debug level only.
public struct DTMFInfoBody: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case dtmfRelay = "application/dtmf-relay"
        case dtmf = "application/dtmf"
    }

    /// RFC 4733 event code, 0...16.
    public var event: UInt8
    /// The tone's length; nil when the body gave none (`application/dtmf` never does).
    public var duration: Duration?

    /// The duration a digit without one is played for (a typical key press).
    public static let defaultDuration: Duration = .milliseconds(250)
    /// Longest duration taken from a body: RFC 4733's 16-bit duration covers 8.19 s at 8 kHz.
    public static let maximumDuration: Duration = .milliseconds(8000)

    public init(event: UInt8, duration: Duration?) {
        self.event = event
        self.duration = duration
    }

    /// The digit of an INFO body of media type `mediaType` (lower-cased, without parameters, as
    /// `SIPMessage.mediaType` gives it); nil for another type or a body that names no digit.
    public init?(mediaType: String?, body: [UInt8]) {
        guard let mediaType, let format = Format(rawValue: mediaType) else { return nil }
        self.init(format: format, body: body)
    }

    public init?(format: Format, body: [UInt8]) {
        guard body.count <= 1024 else { return nil }
        let text = String(decoding: body, as: UTF8.self)
        var signal: Substring?
        var duration: Duration?
        var sawKey = false
        for rawLine in text.split(whereSeparator: \.isNewline) {
            guard let equals = rawLine.firstIndex(of: "=") else { continue }
            sawKey = true
            let key = Self.trimmed(rawLine[..<equals]).lowercased()
            let value = Self.trimmed(rawLine[rawLine.index(after: equals)...])
            if key == "signal" {
                signal = value
            } else if key == "duration", let milliseconds = Int(value), milliseconds > 0 {
                duration = .milliseconds(min(milliseconds, 8000))
            }
        }
        if !sawKey, format == .dtmf { signal = Self.trimmed(Substring(text)) }
        guard let signal, let event = Self.event(forSignal: signal) else { return nil }
        self.event = event
        self.duration = duration
    }

    /// The body in `format` (its Content-Type is the format's raw value).
    public func body(as format: Format) -> [UInt8] {
        let signal = Self.signal(forEvent: event).map(String.init) ?? String(event)
        switch format {
        case .dtmfRelay:
            let milliseconds = Int(((duration ?? Self.defaultDuration) / .milliseconds(1)).rounded())
            return Array("Signal=\(signal)\r\nDuration=\(milliseconds)\r\n".utf8)
        case .dtmf:
            return Array(signal.utf8)
        }
    }

    /// `0`-`9`, `*`, `#`, `A`-`D` (either case), `!` (flash), or an event code 0-16.
    public static func event(forSignal signal: Substring) -> UInt8? {
        if signal.count == 1, let character = signal.first {
            switch character {
            case "0"..."9": return UInt8(character.asciiValue! - UInt8(ascii: "0"))
            case "*": return 10
            case "#": return 11
            case "A"..."D": return 12 + character.asciiValue! - UInt8(ascii: "A")
            case "a"..."d": return 12 + character.asciiValue! - UInt8(ascii: "a")
            case "!": return 16
            default: return nil
            }
        }
        guard signal.count == 2, let code = UInt8(signal), code <= 16 else { return nil }
        return code
    }

    /// The character of an event code 0-16 (`!` for flash); nil above 16.
    public static func signal(forEvent event: UInt8) -> Character? {
        let characters: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D", "!"]
        return event < characters.count ? characters[Int(event)] : nil
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return text
    }
}
