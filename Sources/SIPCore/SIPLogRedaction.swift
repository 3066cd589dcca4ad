/// Keeps credentials out of logs: digest responses, nonces, challenges, bearer tokens and
/// passwords, whatever level a line is logged at (docs/CONFIG.md, `logging`).
///
/// Why: logs are shipped to places with wider access than the SBC's config (Loki, Elastic, a
/// support ticket). A digest response can be brute-forced offline against the password, a
/// bearer token is the credential itself. Two tools: `dump` for a message logged at debug
/// (credential headers keep their name, lose their value) and `scrub` for any free text, which
/// the process-wide log handler applies to every message and metadata value.
public enum SIPLogRedaction {
    public static let placeholder = "<redacted>"

    /// Headers whose whole value is a credential or a challenge (RFC 3261 20.7, 20.27, 20.28, 20.44).
    public static let credentialHeaders: Set<SIPHeaderName> = [
        SIPHeaderName("authorization"), SIPHeaderName("proxy-authorization"), SIPHeaderName("www-authenticate"),
        SIPHeaderName("proxy-authenticate"), SIPHeaderName("authentication-info"),
        SIPHeaderName("proxy-authentication-info"),
    ]

    /// A message as text for a debug log: start line and headers (body left out, it is logged by
    /// size), credential headers with their name and `<redacted>`, other values scrubbed.
    public static func dump(_ message: SIPMessage) -> String {
        var lines: [String] = []
        switch message.startLine {
        case .request(let method, let uri): lines.append("\(method.name) \(uri) SIP/2.0")
        case .response(let code, let reason): lines.append("SIP/2.0 \(code) \(reason)")
        }
        for field in message.headers {
            let value = credentialHeaders.contains(field.name) ? placeholder : scrub(field.value)
            lines.append("\(field.rawName): \(value)")
        }
        lines.append("(body: \(message.body.count) bytes)")
        return lines.joined(separator: "\n")
    }

    /// `text` with credentials replaced by `<redacted>`: the value of a credential header line
    /// (`Authorization: ...`), what follows `Digest ` or `Bearer `, and the value of `password`,
    /// `passwd`, `secret`, `token` after `=` or `:`, and of `response`, `nonce`, `cnonce` after `=`. Text without
    /// any of these words is returned as is, after one case-insensitive scan.
    public static func scrub(_ text: String) -> String {
        var bytes = Array(text.utf8)
        guard bytes.count >= 5, containsTrigger(bytes) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if isWordStart(bytes, index), let end = redactedSpan(bytes, from: index, into: &output) {
                index = end
                continue
            }
            output.append(bytes[index])
            index += 1
        }
        bytes = output
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Scanning

    private static let headerNames = ["proxy-authorization", "authorization", "www-authenticate", "proxy-authenticate",
                                      "proxy-authentication-info", "authentication-info"].map { Array($0.utf8) }
    private static let schemes = ["digest", "bearer"].map { Array($0.utf8) }
    /// Keys whose value is secret; digest parameters only with `=` ("no response: timeout" is not one).
    private static let secretKeys: [(word: [UInt8], colon: Bool)] =
        [("password", true), ("passwd", true), ("secret", true), ("token", true), ("response", false),
         ("cnonce", false), ("nonce", false)].map { (Array($0.0.utf8), $0.1) }
    /// Every word above contains one of these: a cheap first look before any real work.
    private static let triggers = ["auth", "digest", "bearer", "pass", "secret", "token", "response", "nonce"]
        .map { Array($0.utf8) }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte | 0x20 : byte }

    private static func matches(_ bytes: [UInt8], at index: Int, _ word: [UInt8]) -> Bool {
        guard index + word.count <= bytes.count else { return false }
        for offset in 0..<word.count where lower(bytes[index + offset]) != word[offset] { return false }
        return true
    }

    private static func containsTrigger(_ bytes: [UInt8]) -> Bool {
        for index in bytes.indices {
            let first = lower(bytes[index])
            for trigger in triggers where trigger[0] == first && matches(bytes, at: index, trigger) { return true }
        }
        return false
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        SIPGrammar.isAlphanumeric(byte) || byte == 0x2D || byte == 0x5F
    }

    private static func isWordStart(_ bytes: [UInt8], _ index: Int) -> Bool {
        index == 0 || !isWordByte(bytes[index - 1])
    }

    private static func skipSpaces(_ bytes: [UInt8], _ index: Int) -> Int {
        var index = index
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        return index
    }

    private static func lineEnd(_ bytes: [UInt8], _ index: Int) -> Int {
        var index = index
        while index < bytes.count, bytes[index] != SIPGrammar.cr, bytes[index] != SIPGrammar.lf { index += 1 }
        return index
    }

    /// If a credential starts at `index`, appends its redacted form and returns where to go on.
    private static func redactedSpan(_ bytes: [UInt8], from index: Int, into output: inout [UInt8]) -> Int? {
        for name in headerNames where matches(bytes, at: index, name) {
            let colon = skipSpaces(bytes, index + name.count)
            guard colon < bytes.count, bytes[colon] == SIPGrammar.colon else { continue }
            output.append(contentsOf: bytes[index...colon])
            output.append(contentsOf: " \(placeholder)".utf8)
            return lineEnd(bytes, colon + 1)
        }
        for scheme in schemes where matches(bytes, at: index, scheme) {
            let after = index + scheme.count
            guard after < bytes.count, bytes[after] == 0x20 || bytes[after] == 0x09 else { continue }
            let start = skipSpaces(bytes, after)
            guard start < bytes.count, bytes[start] != SIPGrammar.cr, bytes[start] != SIPGrammar.lf else { continue }
            output.append(contentsOf: bytes[index..<after])
            output.append(contentsOf: " \(placeholder)".utf8)
            return lineEnd(bytes, start)
        }
        for (key, allowsColon) in secretKeys where matches(bytes, at: index, key) {
            let after = index + key.count
            guard after >= bytes.count || !isWordByte(bytes[after]) else { continue }
            var cursor = skipSpaces(bytes, after)
            // Quoted keys in JSON or YAML ("password": "x"): step over the closing quote.
            if cursor < bytes.count, bytes[cursor] == 0x22, cursor + 1 < bytes.count,
               bytes[skipSpaces(bytes, cursor + 1)] == SIPGrammar.colon || bytes[skipSpaces(bytes, cursor + 1)] == 0x3D {
                cursor = skipSpaces(bytes, cursor + 1)
            }
            guard cursor < bytes.count, bytes[cursor] == 0x3D || (allowsColon && bytes[cursor] == SIPGrammar.colon)
            else { continue }
            var valueStart = skipSpaces(bytes, cursor + 1)
            guard valueStart < bytes.count else { continue }
            var valueEnd: Int
            if bytes[valueStart] == 0x22 {
                valueStart += 1
                valueEnd = valueStart
                while valueEnd < bytes.count, bytes[valueEnd] != 0x22 { valueEnd += 1 }
            } else {
                valueEnd = valueStart
                while valueEnd < bytes.count, !isValueTerminator(bytes[valueEnd]) { valueEnd += 1 }
            }
            guard valueEnd > valueStart else { continue }
            output.append(contentsOf: bytes[index..<valueStart])
            output.append(contentsOf: placeholder.utf8)
            return valueEnd
        }
        return nil
    }

    private static func isValueTerminator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x2C || byte == 0x3B || byte == SIPGrammar.cr || byte == SIPGrammar.lf
            || byte == 0x7D || byte == 0x22
    }
}
