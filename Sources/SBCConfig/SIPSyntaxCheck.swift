/// The few pieces of SIP grammar the loader needs to refuse profile values that would produce
/// broken SIP.
///
/// Why here and not SIPCore's parser: `SBCConfig` deliberately depends on nothing but Yams (the
/// admin API and `sbc check-config` load configs without the protocol stack), so this is a small,
/// strict subset of RFC 3261 section 25: a value accepted here is also accepted by SIPCore's
/// `SIPNameAddress.parse` (the `SIPProfiles` tests check that for every accepted sample). It is
/// stricter than SIPCore where that costs nothing: a config value should be plainly valid.
enum SIPSyntaxCheck {
    /// RFC 3261 `token`: what a header name is made of.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || "-.!%*_+`'~".utf8.contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Whether `text` contains a byte that would end or split a header line (CR, LF) or that no
    /// SIP text may hold (NUL). Such a value in a header would let a config inject headers.
    static func hasLineBreakOrNUL(_ text: some StringProtocol) -> Bool {
        text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// Why `text` is not a `name-addr` (`["Display Name"] <URI> *(;param)`), or nil when it is.
    /// The URI must be `sip:`/`sips:` with a host, or `tel:` with a number, as in RFC 3325's
    /// P-Asserted-Identity; other schemes are refused because carriers accept no others there.
    static func nameAddrProblem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
        skipSpaces()
        if index < bytes.count, bytes[index] == 0x22 {  // quoted display name
            index += 1
            var closed = false
            while index < bytes.count {
                if bytes[index] == 0x5C { index += 2; continue }
                if bytes[index] == 0x22 { closed = true; index += 1; break }
                index += 1
            }
            guard closed else { return "the display name's quote is not closed" }
            skipSpaces()
        } else {
            while index < bytes.count, isTokenByte(bytes[index]) || bytes[index] == 0x20 || bytes[index] == 0x09 {
                index += 1
            }
        }
        guard index < bytes.count, bytes[index] == 0x3C else {
            return "the address must be written in angle brackets, as in <sip:+15551230000@carrier.example>"
        }
        guard let close = bytes[index...].firstIndex(of: 0x3E) else { return "the '<' is not closed by '>'" }
        let uri = String(decoding: bytes[(index + 1)..<close], as: UTF8.self)
        if let problem = uriProblem(uri) { return problem }
        index = close + 1
        // Header parameters: *( ";" token [ "=" token / quoted-string ] ).
        while index < bytes.count {
            skipSpaces()
            if index == bytes.count { break }
            guard bytes[index] == 0x3B else { return "only ;parameters may follow the '>'" }
            index += 1
            skipSpaces()
            let nameStart = index
            while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart else { return "a ';' must be followed by a parameter name" }
            skipSpaces()
            if index < bytes.count, bytes[index] == 0x3D {
                index += 1
                skipSpaces()
                let valueStart = index
                while index < bytes.count, isTokenByte(bytes[index]) { index += 1 }
                guard index > valueStart else { return "a parameter's '=' must be followed by a value" }
            }
        }
        return nil
    }

    /// Why `uri` is not a usable `sip:`, `sips:` or `tel:` URI, or nil when it is.
    static func uriProblem(_ uri: String) -> String? {
        guard let colon = uri.firstIndex(of: ":") else { return "\"\(uri)\" is not a URI (no scheme)" }
        let scheme = uri[..<colon].lowercased()
        let rest = uri[uri.index(after: colon)...]
        guard !rest.isEmpty, rest.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3C && $0 != 0x3E && $0 != 0x22 })
        else { return "the URI \"\(uri)\" is empty after the scheme or contains spaces, quotes or angle brackets" }
        switch scheme {
        case "sip", "sips":
            var hostPart = Substring(rest)
            if let at = rest.firstIndex(of: "@") {
                guard at > rest.startIndex else { return "the URI \"\(uri)\" has an empty user part" }
                hostPart = rest[rest.index(after: at)...]
            }
            let host = hostPart.hasPrefix("[")
                ? hostPart.prefix { $0 != "]" } + (hostPart.contains("]") ? "]" : "")
                : hostPart.prefix { $0 != ";" && $0 != "?" && $0 != ":" }
            let isIPv6 = host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2
            guard !host.isEmpty, isIPv6 || host.utf8.allSatisfy({ isAlphanumeric($0) || "-._".utf8.contains($0) })
            else { return "the URI \"\(uri)\" has no valid host" }
            return nil
        case "tel":
            let number = rest.prefix { $0 != ";" }
            return number.isEmpty ? "the URI \"\(uri)\" has no number" : nil
        default:
            return "the URI scheme must be sip, sips or tel, got \"\(scheme)\""
        }
    }
}
