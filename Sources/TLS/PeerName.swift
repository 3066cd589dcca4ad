#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells IP literals from DNS names: SNI carries only DNS names (RFC 6066 section 3), and a
/// certificate names an address in an IP SAN, not a DNS one.
enum PeerName {
    /// The name without the brackets of an IPv6 literal ("[::1]" -> "::1").
    static func unbracketed(_ name: String) -> String {
        name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
    }

    static func isIPLiteral(_ name: String) -> Bool {
        let bare = unbracketed(name)
        var address = in6_addr()
        return inet_pton(AF_INET, bare, &address) == 1 || inet_pton(AF_INET6, bare, &address) == 1
    }
}
