import Yams

/// How a trunk's TLS certificate is checked (key `trunks[].tls.verify`).
public enum TLSVerifyMode: String, Sendable, Equatable, CaseIterable {
    /// Anything is accepted (a certificate is still recorded for expiry monitoring). For labs and
    /// first tests only: it gives encryption without knowing who the peer is.
    case none
    /// The chain must reach a trusted CA and the certificate must name `server_name` (the default).
    case chain_name
    /// The chain must reach a trusted CA and the certificate's public key must be one of `pins`:
    /// for carriers that rotate names but not keys, or to refuse a mis-issued certificate.
    case chain_pin
}

/// TLS towards and from one trunk (key `trunks[].tls`, a mapping, optional).
///
/// It applies when the SBC dials the trunk (`transport: tls`) and to connections the trunk opens
/// to a zone's TLS listener (a platform or carrier that calls in over TLS). Why per trunk: each
/// carrier has its own CA, name and pinning rules, and a certificate that fails them must fail
/// that carrier only, as a transport failure that moves calls to the next one.
public struct TrunkTLSSettings: Sendable, Equatable {
    /// How the peer's certificate is checked (key `verify`, default `chain_name`).
    public var verify: TLSVerifyMode
    /// The name the peer's certificate must carry, and the SNI sent to it when it is a host name
    /// (key `server_name`, default the trunk's `address`, matched against IP SANs).
    public var serverName: String?
    /// SHA-256 of the peer's SubjectPublicKeyInfo, base64 (key `pins`, required with
    /// `verify: chain_pin`), as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    /// openssl dgst -sha256 -binary | base64` prints it.
    public var pins: [String]
    /// CA bundle the peer's chain must reach (key `ca`, default the system store).
    public var caBundle: String?
    /// The client certificate the SBC presents when it dials this trunk, for mutual TLS (keys
    /// `certificate` and `key`, optional).
    public var clientIdentity: TLSCertificateFiles?
    /// Connections this trunk opens must present a certificate that passes `verify` (key
    /// `require_client_certificate`, default false); one without is refused in the handshake.
    public var requireClientCertificate: Bool
    /// Versions and ciphers when the SBC dials this trunk (keys `min_version`, `ciphers`,
    /// `cipher_suites`).
    public var protocols: TLSProtocolSettings

    public init(verify: TLSVerifyMode = .chain_name, serverName: String? = nil, pins: [String] = [],
                caBundle: String? = nil, clientIdentity: TLSCertificateFiles? = nil,
                requireClientCertificate: Bool = false, protocols: TLSProtocolSettings = .init()) {
        self.verify = verify
        self.serverName = serverName
        self.pins = pins
        self.caBundle = caBundle
        self.clientIdentity = clientIdentity
        self.requireClientCertificate = requireClientCertificate
        self.protocols = protocols
    }

    static let keys = ["verify", "server_name", "pins", "ca", "certificate", "key", "require_client_certificate"]
        + TLSProtocolSettings.keys

    static func read(_ trunk: MappingReader) -> TrunkTLSSettings? {
        trunk.nested("tls", keys: keys) { reader in
            var settings = TrunkTLSSettings()
            settings.verify = reader.choice("verify") ?? settings.verify
            settings.serverName = reader.string("server_name")
            settings.pins = reader.stringList("pins") ?? []
            for (index, pin) in settings.pins.enumerated() where !Self.isPin(pin) {
                reader.problems.report(ProblemCollector.element(of: reader.path("pins"), index),
                                       "must be a base64 SHA-256 digest (44 characters ending in '='), got \"\(pin)\"")
            }
            if settings.verify == .chain_pin, settings.pins.isEmpty, reader.value("pins") == nil {
                reader.problems.report(reader.path("pins"), "is required with verify: chain_pin "
                    + "(base64 SHA-256 digests of the peer's public key)")
            }
            settings.caBundle = reader.string("ca")
            settings.clientIdentity = TLSCertificateFiles.read(reader, required: false, purpose: "")
            settings.requireClientCertificate = reader.boolean("require_client_certificate")
                ?? settings.requireClientCertificate
            settings.protocols = TLSProtocolSettings.read(reader)
            return settings
        }
    }

    /// A base64 SHA-256 digest: 32 bytes are 44 characters with one `=` of padding.
    static func isPin(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 44, bytes[43] == UInt8(ascii: "=") else { return false }
        return bytes[..<43].allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "/")
        }
    }
}
