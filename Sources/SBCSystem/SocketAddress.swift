import Glibc
import CSBCLinux

/// An IP endpoint as a plain value.
///
/// The address is held in integers rather than in a `sockaddr_storage` so that equality and
/// hashing are exact and cheap: transaction and connection tables key on it for every message,
/// and padding bytes inside C structs would otherwise make equal endpoints compare unequal.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum IP: Hashable, Sendable {
        /// IPv4 address in host byte order (127.0.0.1 is 0x7F00_0001).
        case v4(UInt32)
        /// IPv6 address as two host-order halves; the scope only matters for link-local.
        case v6(high: UInt64, low: UInt64, scopeID: UInt32)
    }

    public let ip: IP
    public let port: UInt16

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses a numeric IPv4 or IPv6 literal (no DNS: resolving belongs off the loop).
    /// IPv6 may be given with or without brackets.
    public init(host: String, port: UInt16) throws(SystemError) {
        var literal = Substring(host)
        if literal.hasPrefix("["), literal.hasSuffix("]") {
            literal = literal.dropFirst().dropLast()
        }
        if let v4 = SocketAddress.parseIPv4(literal) {
            self.init(ip: .v4(v4), port: port)
            return
        }
        var scope: UInt32 = 0
        if let percent = literal.firstIndex(of: "%") {
            let name = String(literal[literal.index(after: percent)...])
            scope = UInt32(name) ?? if_nametoindex(name)
            literal = literal[..<percent]
        }
        var raw = in6_addr()
        let ok = String(literal).withCString { inet_pton(AF_INET6, $0, &raw) }
        guard ok == 1 else {
            throw SystemError(syscall: "inet_pton", errno: EINVAL, context: "not a numeric IP address: \(host)")
        }
        let (high, low) = withUnsafeBytes(of: &raw) { bytes -> (UInt64, UInt64) in
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
            return (h, l)
        }
        self.init(ip: .v6(high: high, low: low, scopeID: scope), port: port)
    }

    /// Parses "1.2.3.4:5060" or "[::1]:5060".
    public init(parsing text: String) throws(SystemError) {
        guard let colon = text.lastIndex(of: ":"),
              let port = UInt16(text[text.index(after: colon)...]) else {
            throw SystemError(syscall: "inet_pton", errno: EINVAL, context: "not host:port: \(text)")
        }
        let host = String(text[..<colon])
        if host.contains(":"), !host.hasPrefix("[") {
            throw SystemError(syscall: "inet_pton", errno: EINVAL, context: "IPv6 needs brackets: \(text)")
        }
        try self.init(host: host, port: port)
    }

    /// Decodes what the kernel filled in (recvmsg, accept, getsockname). Returns nil for
    /// non-IP families such as AF_UNIX.
    public init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(ip: .v4(UInt32(bigEndian: sin.sin_addr.s_addr)), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = sin6.sin6_addr
            let (high, low) = withUnsafeBytes(of: &addr) { bytes -> (UInt64, UInt64) in
                var h: UInt64 = 0, l: UInt64 = 0
                for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
                for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
                return (h, l)
            }
            self.init(ip: .v6(high: high, low: low, scopeID: sin6.sin6_scope_id),
                      port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }

    public var family: Int32 {
        switch ip {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        }
    }

    public var isIPv4: Bool {
        if case .v4 = ip { return true }
        return false
    }

    /// The address encoded for the kernel, with its meaningful length.
    public var storage: (sockaddr_storage, socklen_t) {
        var storage = sockaddr_storage()
        let length: socklen_t
        switch ip {
        case .v4(let host):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = host.bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        case .v6(let high, let low, let scope):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            sin6.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { bytes in
                for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i))) }
                for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i))) }
            }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: sin6, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        return (storage, length)
    }

    /// Calls `body` with a `sockaddr` pointer valid only for the duration of the call.
    public func withSockAddr<R, E: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R
    ) throws(E) -> R {
        var (storage, length) = self.storage
        return try withUnsafePointer(to: &storage) { p throws(E) -> R in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(E) -> R in
                try body(sa, length)
            }
        }
    }

    /// The numeric host without port ("1.2.3.4", "::1").
    public var host: String {
        switch ip {
        case .v4(let a):
            return "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
        case .v6:
            var (storage, _) = self.storage
            let sin6 = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            var addr = sin6.sin6_addr
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            let ok = buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(AF_INET6, &addr, out.baseAddress, socklen_t(out.count)) != nil
            }
            guard ok else { return "?" }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// "1.2.3.4:5060" or "[::1]:5060", the form SIP Via/Contact hosts use.
    public var description: String {
        isIPv4 ? "\(host):\(port)" : "[\(host)]:\(port)"
    }

    /// 0.0.0.0 or ::, i.e. "any local address" when binding.
    public var isUnspecified: Bool {
        switch ip {
        case .v4(let a): return a == 0
        case .v6(let h, let l, _): return h == 0 && l == 0
        }
    }

    public static let anyIPv4 = SocketAddress(ip: .v4(0), port: 0)

    public static func loopback(port: UInt16) -> SocketAddress {
        SocketAddress(ip: .v4(0x7F00_0001), port: port)
    }

    /// Strict dotted-quad parser: inet_pton would do, but this avoids a C string per call.
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
}
