import Yams

/// The TLS listener of a zone (key `zones[].tls`, a mapping, required when `tls_port` is set):
/// the certificate the SBC presents to peers that connect to it.
///
/// Whether a connecting peer must present a certificate of its own is a trunk's choice
/// (`trunks[].tls.require_client_certificate`), because the SBC knows which trunk a connection
/// belongs to by its source address: the platform may be held to mutual TLS while a stranger on the
/// same listener only gets its 403.
public struct ZoneTLSSettings: Sendable, Equatable {
    /// The SBC's certificate chain and key in this zone (keys `certificate` and `key`, required).
    public var identity: TLSCertificateFiles
    /// CA bundle that client certificates of this zone's trunks are checked against (key `ca`,
    /// default the system store), unless the trunk names its own.
    public var caBundle: String?
    /// Versions and ciphers offered to connecting peers (keys `min_version`, `ciphers`,
    /// `cipher_suites`).
    public var protocols: TLSProtocolSettings

    public init(identity: TLSCertificateFiles, caBundle: String? = nil, protocols: TLSProtocolSettings = .init()) {
        self.identity = identity
        self.caBundle = caBundle
        self.protocols = protocols
    }

    static let keys = ["certificate", "key", "ca"] + TLSProtocolSettings.keys

    static func read(_ zone: MappingReader) -> ZoneTLSSettings? {
        zone.nested("tls", keys: keys) { reader -> ZoneTLSSettings? in
            let identity = TLSCertificateFiles.read(reader, required: true,
                                                    purpose: "the PEM file of the certificate chain this zone presents")
            let caBundle = reader.string("ca")
            let protocols = TLSProtocolSettings.read(reader)
            return identity.map { ZoneTLSSettings(identity: $0, caBundle: caBundle, protocols: protocols) }
        } ?? nil
    }
}
