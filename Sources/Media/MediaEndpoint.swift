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
}
