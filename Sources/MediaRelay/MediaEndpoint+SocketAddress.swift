import Media
import SBCSystem

extension MediaEndpoint {
    /// Parses a numeric literal with the one IP parser of the code base (`SocketAddress`); nil
    /// for anything else (names are resolved by signalling, never on a media worker). IPv4 is
    /// held IPv4-mapped, and an IPv6 zone is dropped: media never uses link-local addresses.
    init?(_ address: MediaAddress) {
        guard let parsed = try? SocketAddress(host: address.host, port: address.port) else { return nil }
        switch parsed.ip {
        case .v4(let ipv4):
            self.init(ipv4: ipv4, port: address.port)
        case .v6(let high, let low, _):
            self.init(high: high, low: low, port: address.port)
        }
    }
}
