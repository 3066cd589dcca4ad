#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric IPv4 or IPv6 address as written in the configuration.
///
/// Why only literals: the SBC identifies peers by source address and binds sockets at startup; a
/// host name would make both depend on DNS at the worst possible moment (a restart during an
/// outage) and could change under a running SBC. Parsing uses the C library's `inet_pton`, the
/// same parser the socket layer will use, so anything accepted here binds and compares the same way.
/// Comparison is on the binary form, so `::1` and `0:0:0:0:0:0:0:1` are the same address.
struct IPAddressLiteral: Hashable, Sendable {
    /// IPv4 or IPv6; a bind of one family never collides with the other.
    enum Family: Sendable {
        case ipv4, ipv6
    }

    let family: Family
    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    let bytes: [UInt8]

    /// Parses `text`, which must be a dotted-quad IPv4 address or an IPv6 address without brackets,
    /// zone index or prefix length. Returns nil for anything else, including host names.
    init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            family = .ipv4
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            family = .ipv6
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// `0.0.0.0` or `::`: binding it listens on every address of the host, and as a destination it
    /// means nothing, so trunks and advertised addresses may not use it.
    var isWildcard: Bool {
        bytes.allSatisfy { $0 == 0 }
    }

    /// Why `text` was refused, phrased for the operator, for the common mistakes: brackets around an
    /// IPv6 address, a port or prefix length attached, or a host name.
    static func explainInvalid(_ text: String) -> String {
        if text.hasPrefix("[") {
            return "write IPv6 addresses without brackets"
        }
        if text.contains("/") {
            return "a single address is expected, not a prefix"
        }
        if text.contains("%") {
            return "IPv6 zone indexes (%eth0) are not supported"
        }
        if text.filter({ $0 == ":" }).count == 1 {
            return "put the port in its own key, not after the address"
        }
        if text.contains(where: \.isLetter), !text.contains(":") {
            return "host names are not allowed here, only numeric addresses"
        }
        return "not a valid IPv4 or IPv6 address"
    }

    /// Whether `text` is usable as an address that is advertised in SIP headers (Via, Contact,
    /// Record-Route) and SDP: an IP literal that is not a wildcard, or a DNS host name
    /// (letters, digits, hyphens; labels of 1-63 characters; 253 characters at most).
    static func isAdvertisable(_ text: String) -> Bool {
        if let address = IPAddressLiteral(text) { return !address.isWildcard }
        guard (1...253).contains(text.count), text.contains(where: \.isLetter) else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count)
                && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}

extension MappingReader {
    /// An IP literal value; reports and returns nil when it is not one. `allowWildcard` is true
    /// only for zone binds, where `0.0.0.0`/`::` means "all addresses".
    func ipAddress(_ key: String, allowWildcard: Bool) -> (text: String, address: IPAddressLiteral)? {
        guard let node = value(key), let text = Self.string(node, at: path(key), problems: problems) else { return nil }
        guard let address = IPAddressLiteral(text) else {
            problems.report(path(key), at: node.mark,
                            "must be an IPv4 or IPv6 address, got \(Self.describe(node)): \(IPAddressLiteral.explainInvalid(text))")
            return nil
        }
        if address.isWildcard, !allowWildcard {
            problems.report(path(key), at: node.mark,
                            "must be a specific address, got the wildcard \(Self.describe(node))")
            return nil
        }
        return (text, address)
    }
}
