/// An IP endpoint held as integers: the form the relay compares on every packet.
///
/// `MediaAddress` is text because SDP is; comparing or parsing text per packet would be the
/// most expensive thing the relay does, so addresses are converted once, when a session is
/// applied. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d): a dual-stack socket reports an IPv4 peer
/// that way, and the latch must then still see it as the signalled IPv4 address.
public struct MediaEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// Bytes 0-7 of the IPv6 (or IPv4-mapped) address, big-endian.
    public var high: UInt64
    /// Bytes 8-15, big-endian.
    public var low: UInt64
    public var port: UInt16

    @inlinable
    public init(high: UInt64, low: UInt64, port: UInt16) {
        self.high = high
        self.low = low
        self.port = port
    }

    /// `address` in host byte order (127.0.0.1 is 0x7F00_0001).
    @inlinable
    public init(ipv4 address: UInt32, port: UInt16) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(address), port: port)
    }

    /// Parses a numeric literal; nil for anything else (names are resolved by signalling, never here).
    public init?(_ address: MediaAddress) {
        guard let (high, low) = MediaEndpoint.parseIP(address.host) else { return nil }
        self.init(high: high, low: low, port: address.port)
    }

    /// The IPv4 address in host byte order when this is IPv4(-mapped).
    @inlinable
    public var ipv4: UInt32? {
        high == 0 && low >> 32 == 0xFFFF ? UInt32(truncatingIfNeeded: low) : nil
    }

    /// Same IP, any port: what `.signalledAddress` latching asks, since NAT rewrites ports.
    @inlinable
    public func hasSameIP(as other: MediaEndpoint) -> Bool {
        high == other.high && low == other.low
    }

    public var address: MediaAddress { MediaAddress(host: hostText, port: port) }

    public var description: String { address.description }

    /// Dotted quad for IPv4, RFC 5952 text (lowercase, longest zero run as "::") for IPv6.
    public var hostText: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[4 + i] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength, i - runStart >= 2 {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty, !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }

    // MARK: - Parsing

    /// (high, low) of a numeric IPv4 or IPv6 literal; IPv6 may carry brackets and a zone
    /// ("%eth0"), which is ignored: media never uses link-local addresses.
    static func parseIP(_ text: String) -> (UInt64, UInt64)? {
        var literal = Substring(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = literal.dropFirst().dropLast()
        }
        if let v4 = parseIPv4(literal) {
            return (0, 0xFFFF_0000_0000 | UInt64(v4))
        }
        if let percent = literal.firstIndex(of: "%") {
            literal = literal[..<percent]
        }
        return parseIPv6(literal)
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        var result: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, dots < 3 else { return nil }
                result = result << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            default:
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return result << 8 | octet
    }

    /// RFC 4291 section 2.2 text forms: eight groups, one "::", and an IPv4 tail.
    static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
        guard !text.isEmpty else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawCompression = false
        var parts = text.split(separator: ":", omittingEmptySubsequences: false)[...]
        // "::x" and "x::" split into leading/trailing empty parts; fold them into the "::" marker.
        if parts.first == "" {
            guard parts.count >= 2, parts[parts.startIndex + 1] == "" else { return nil }
            parts = parts.dropFirst()
        }
        if parts.last == "" {
            guard parts.count >= 2, parts[parts.endIndex - 2] == "" else { return nil }
            parts = parts.dropLast()
        }
        for (position, part) in zip(parts.indices, parts) {
            if part.isEmpty {
                guard !sawCompression else { return nil }
                sawCompression = true
                continue
            }
            var groups: [UInt16]
            if part.contains(".") {
                guard position == parts.endIndex - 1, let v4 = parseIPv4(part) else { return nil }
                groups = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
            } else {
                guard part.utf8.count <= 4, let value = UInt16(part, radix: 16) else { return nil }
                groups = [value]
            }
            if sawCompression { tail += groups } else { head += groups }
        }
        let total = head.count + tail.count
        if sawCompression ? total > 7 : total != 8 { return nil }
        let all = head + [UInt16](repeating: 0, count: 8 - total) + tail
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 {
            high = high << 16 | UInt64(all[i])
            low = low << 16 | UInt64(all[4 + i])
        }
        return (high, low)
    }
}
