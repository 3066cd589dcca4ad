import SBCConfig
import SBCSystem
import SIPCore
import SIPTransport
import TLS

/// Why the configured TLS material cannot be used, naming the config key at fault.
public struct TLSCredentialError: Error, CustomStringConvertible {
    /// The config path, e.g. `zones[0].tls (zone platform)`.
    public let key: String
    public let error: TLSConfigurationError

    public var description: String { "\(key): \(error)" }
}

/// Every TLS context the configuration calls for, built from its files, and the lookups the
/// transport makes per connection. Rebuilt as a whole on reload (SIGHUP, admin API): a new
/// connection gets the new certificates, an established one keeps the context it started with
/// (OpenSSL reference-counts it), so a renewal drops nothing.
///
/// Contexts per role:
/// - a zone's listener: the zone's certificate, no client certificate asked for;
/// - a trunk with `require_client_certificate`: the zone's certificate, and the trunk's CA,
///   verification and required client certificate, chosen by the connection's source address;
/// - a trunk the SBC dials: the trunk's CA, verification, client certificate and versions.
///
/// Loop-confined.
final class TLSCredentials {
    private struct TrunkKey: Hashable {
        let zone: String
        let host: String
    }

    private let configuration: SBCConfiguration
    private var zoneServers: [String: TLSContext] = [:]
    private var trunkServers: [String: TLSContext] = [:]
    private var trunkClients: [String: TLSContext] = [:]
    /// Trunks by zone and address: how a connection is attributed to a trunk.
    private let trunksByAddress: [TrunkKey: TrunkSettings]

    init(configuration: SBCConfiguration) throws(TLSCredentialError) {
        self.configuration = configuration
        var trunks: [TrunkKey: TrunkSettings] = [:]
        for trunk in configuration.trunks where trunks[TrunkKey(zone: trunk.zone, host: trunk.address)] == nil {
            trunks[TrunkKey(zone: trunk.zone, host: trunk.address)] = trunk
        }
        trunksByAddress = trunks
        try reload()
    }

    var isEnabled: Bool { !zoneServers.isEmpty || !trunkClients.isEmpty }

    /// One context the configuration calls for.
    struct Requirement {
        enum Use {
            case listener(zone: String)
            case authenticating(trunk: String)
            case dialling(trunk: String)
        }

        /// The config key it comes from, for errors.
        let key: String
        let role: TLSContext.Role
        let settings: TLSEndpointConfiguration
        let use: Use

        func build() throws(TLSCredentialError) -> TLSContext {
            do {
                return try TLSContext(role: role, configuration: settings)
            } catch {
                throw TLSCredentialError(key: key, error: error)
            }
        }
    }

    /// Every context `configuration` needs: a listener per TLS zone, a client context per trunk
    /// that is dialled over TLS or lives in a TLS zone (a platform reached back over TLS), and an
    /// authenticating listener per trunk that must present a client certificate.
    static func requirements(_ configuration: SBCConfiguration) -> [Requirement] {
        var requirements: [Requirement] = []
        var tlsZones: [String: ZoneTLSSettings] = [:]
        for (index, zone) in configuration.zones.enumerated() {
            guard let tls = zone.tls else { continue }
            tlsZones[zone.name] = tlsZones[zone.name] ?? tls
            requirements.append(Requirement(key: "zones[\(index)].tls (zone \(zone.name))", role: .server,
                                            settings: listener(tls), use: .listener(zone: zone.name)))
        }
        for (index, trunk) in configuration.trunks.enumerated() {
            let key = "trunks[\(index)].tls (trunk \(trunk.name))"
            if trunk.transport == .tls || tlsZones[trunk.zone] != nil {
                requirements.append(Requirement(key: key, role: .client, settings: dialling(trunk),
                                                use: .dialling(trunk: trunk.name)))
            }
            if trunk.tls.requireClientCertificate, let zoneTLS = tlsZones[trunk.zone] {
                requirements.append(Requirement(key: key, role: .server, settings: authenticating(trunk, listener: zoneTLS),
                                                use: .authenticating(trunk: trunk.name)))
            }
        }
        return requirements
    }

    /// Re-reads every certificate, key and CA file. On an error the previous contexts stay.
    func reload() throws(TLSCredentialError) {
        var zoneServers: [String: TLSContext] = [:]
        var trunkServers: [String: TLSContext] = [:]
        var trunkClients: [String: TLSContext] = [:]
        for requirement in Self.requirements(configuration) {
            let context = try requirement.build()
            switch requirement.use {
            case .listener(let zone): zoneServers[zone] = context
            case .authenticating(let trunk): trunkServers[trunk] = context
            case .dialling(let trunk): trunkClients[trunk] = context
            }
        }
        self.zoneServers = zoneServers
        self.trunkServers = trunkServers
        self.trunkClients = trunkClients
    }

    /// The trunk a peer address belongs to in a zone, if any.
    func trunk(zone: String, host: String) -> TrunkSettings? {
        trunksByAddress[TrunkKey(zone: zone, host: host)]
    }

    /// For a connection accepted in `zone` from `peer`.
    func serverContext(zone: String, peer: SocketAddress) -> TLSContext? {
        if let trunk = trunk(zone: zone, host: peer.host), let context = trunkServers[trunk.name] { return context }
        return zoneServers[zone]
    }

    /// For dialling `destination` from `zone`: the trunk configured at that address (the platform
    /// reached back at its Contact port included).
    func clientTarget(zone: String, destination: SocketAddress) -> TLSClientTarget? {
        guard let trunk = trunk(zone: zone, host: destination.host), let context = trunkClients[trunk.name] else {
            return nil
        }
        return TLSClientTarget(context: context, serverName: trunk.tls.serverName ?? trunk.address,
                               resumptionKey: "\(zone)|\(destination)")
    }

    /// The SBC's own certificates, for expiry monitoring: each zone's and each client certificate.
    var ownCertificates: [CertificateExpiryMonitor.Entry] {
        let zones = zoneServers.compactMap { zone, context in
            context.localChain.first.map { CertificateExpiryMonitor.Entry(label: "zone:\(zone)", trunk: nil, certificate: $0) }
        }
        let clients = trunkClients.compactMap { trunk, context in
            context.localChain.first.map {
                CertificateExpiryMonitor.Entry(label: "client:\(trunk)", trunk: trunk, certificate: $0)
            }
        }
        return (zones + clients).sorted { $0.label < $1.label }
    }

    // MARK: - From config to TLS settings

    private static func listener(_ zone: ZoneTLSSettings) -> TLSEndpointConfiguration {
        TLSEndpointConfiguration(certificateChainFile: zone.identity.certificate, privateKeyFile: zone.identity.key,
                                 caBundleFile: zone.caBundle, verification: .none,
                                 minimumVersion: version(zone.protocols.minimumVersion),
                                 cipherList: zone.protocols.ciphers, cipherSuites: zone.protocols.cipherSuites)
    }

    private static func dialling(_ trunk: TrunkSettings) -> TLSEndpointConfiguration {
        let tls = trunk.tls
        return TLSEndpointConfiguration(certificateChainFile: tls.clientIdentity?.certificate,
                                        privateKeyFile: tls.clientIdentity?.key, caBundleFile: tls.caBundle,
                                        verification: verification(trunk), minimumVersion: version(tls.protocols.minimumVersion),
                                        cipherList: tls.protocols.ciphers, cipherSuites: tls.protocols.cipherSuites)
    }

    private static func authenticating(_ trunk: TrunkSettings, listener zone: ZoneTLSSettings) -> TLSEndpointConfiguration {
        var settings = listener(zone)
        settings.caBundleFile = trunk.tls.caBundle ?? zone.caBundle
        settings.verification = verification(trunk)
        settings.requirePeerCertificate = true
        return settings
    }

    private static func verification(_ trunk: TrunkSettings) -> TLSPeerVerification {
        switch trunk.tls.verify {
        case .none: .none
        case .chain_name: .chainAndName(trunk.tls.serverName ?? trunk.address)
        case .chain_pin: .chainAndPin(trunk.tls.pins)
        }
    }

    private static func version(_ minimum: TLSMinimumVersion) -> TLSProtocolVersion {
        switch minimum {
        case .tls12: .tls12
        case .tls13: .tls13
        }
    }
}
