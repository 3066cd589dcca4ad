import SBCConfig
import SIPCore
import SIPProfiles
import Testing

/// A parsed INVITE as the B2BUA would hand it to an outbound profile, and helpers that apply a
/// profile and return the exact bytes, so that every test compares the whole serialized message.
enum ProfileTestSupport {
    /// The header lines of ``invite``, in order, without CRLF.
    static let headerLines = [
        "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK776asdhds",
        "Max-Forwards: 69",
        "From: \"Agent 7\" <sip:+15551230000@127.0.0.1>;tag=1928301774",
        "To: <sip:+15551239999@127.0.0.12>",
        "Call-ID: a84b4c76e66710@pc33.example.com",
        "CSeq: 314159 INVITE",
        "Contact: <sip:sbc@127.0.0.1:5080>",
        "X-Internal-Queue: billing",
        "x-genesys-conversation: 42",
        "User-Agent: Genesys Cloud 1.0",
        "X-Debug-Trace: on",
        "Content-Type: application/sdp",
        "Content-Length: 4",
    ]
    static let requestLine = "INVITE sip:+15551239999@127.0.0.12:5060 SIP/2.0"
    static let body = "v=0\n"

    /// The wire text of a message with `requestLine`, `headers` and the body.
    static func wire(_ requestLine: String = requestLine, _ headers: [String] = headerLines) -> String {
        ([requestLine] + headers).map { $0 + "\r\n" }.joined() + "\r\n" + body
    }

    /// ``headerLines`` with the line starting with `prefix` replaced by `replacement` (nil removes it).
    static func lines(_ edits: [(String, String?)], insertingBeforeContentType inserted: [String] = []) -> [String] {
        var lines = headerLines
        for (prefix, replacement) in edits {
            guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else {
                Issue.record("no line starting with \(prefix)")
                continue
            }
            if let replacement { lines[index] = replacement } else { lines.remove(at: index) }
        }
        let position = lines.firstIndex { $0.hasPrefix("Content-Type") } ?? lines.endIndex
        lines.insert(contentsOf: inserted, at: position)
        return lines
    }

    static func parse(_ text: String) throws -> SIPMessage {
        try SIPMessageParser.parse(Array(text.utf8))
    }

    /// The context of the test INVITE as received from the platform, sent to carrier-b.
    static let context = ProfileContext(fromUser: "+15551230000", toUser: "+15551239999", requestUser: "+15551239999",
                                        trunkName: "carrier-b", callID: "a84b4c76e66710@pc33.example.com")

    /// Applies `settings` to the test INVITE (or `message`) and returns the serialized result.
    static func apply(_ settings: ProfileSettings, to message: String = wire(),
                      context: ProfileContext = context) throws -> String {
        var parsed = try parse(message)
        try HeaderRewriteProfile(settings).apply(to: &parsed, context: context)
        return String(decoding: parsed.serialized(), as: UTF8.self)
    }

    /// The ProfileError applying `settings` throws, or nil (with an issue) when it does not throw.
    static func error(_ settings: ProfileSettings, to message: String = wire(), context: ProfileContext = context,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> ProfileError? {
        var parsed = try parse(message)
        do {
            try HeaderRewriteProfile(settings).apply(to: &parsed, context: context)
            Issue.record("no error; result:\n\(String(decoding: parsed.serialized(), as: UTF8.self))",
                         sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}
