import Yams

/// The lowest TLS version a connection may use (key `min_version`, `"1.2"` or `"1.3"`).
public enum TLSMinimumVersion: String, Sendable, Equatable, CaseIterable {
    case tls12 = "1.2"
    case tls13 = "1.3"
}

/// Versions and ciphers of one TLS endpoint, shared by zone listeners (`zones[].tls`) and trunks
/// (`trunks[].tls`).
///
/// Why configurable: a carrier's compliance team names the floor (often TLS 1.2 with a fixed
/// suite list) and the SBC must meet it exactly, no more generous; everything defaults to
/// OpenSSL's own choices, which are current.
public struct TLSProtocolSettings: Sendable, Equatable {
    /// Lowest version accepted or offered (key `min_version`, default `"1.2"`; TLS 1.0 and 1.1
    /// are never enabled, RFC 8996).
    public var minimumVersion: TLSMinimumVersion
    /// TLS 1.2 cipher list in OpenSSL syntax (key `ciphers`, default OpenSSL's), e.g.
    /// `ECDHE+AESGCM:ECDHE+CHACHA20`. Checked when the SBC starts; an unknown list is an error.
    public var ciphers: String?
    /// TLS 1.3 cipher suites (key `cipher_suites`, default OpenSSL's), e.g.
    /// `TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256`.
    public var cipherSuites: String?

    public init(minimumVersion: TLSMinimumVersion = .tls12, ciphers: String? = nil, cipherSuites: String? = nil) {
        self.minimumVersion = minimumVersion
        self.ciphers = ciphers
        self.cipherSuites = cipherSuites
    }

    static let keys = ["min_version", "ciphers", "cipher_suites"]

    /// Reads the three keys from a `tls` mapping that also holds other keys.
    static func read(_ reader: MappingReader) -> TLSProtocolSettings {
        var settings = TLSProtocolSettings()
        settings.minimumVersion = reader.choice("min_version") ?? settings.minimumVersion
        settings.ciphers = reader.string("ciphers")
        settings.cipherSuites = reader.string("cipher_suites")
        return settings
    }
}

/// A certificate chain and its private key, as PEM file paths (keys `certificate` and `key`).
///
/// Files are named, never inlined: keys stay readable by the SBC's user only, and the SBC re-reads
/// them on SIGHUP or `POST /api/v1/tls/reload` so a renewed certificate needs no restart.
public struct TLSCertificateFiles: Sendable, Equatable {
    /// PEM file with the leaf certificate first, then any intermediates (key `certificate`).
    public var certificate: String
    /// PEM file with the certificate's private key (key `key`).
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    /// Reads `certificate` and `key`, which go together: one without the other is reported.
    static func read(_ reader: MappingReader, required: Bool, purpose: String) -> TLSCertificateFiles? {
        let certificate = reader.string("certificate")
        let key = reader.string("key")
        switch (certificate, key) {
        case let (certificate?, key?):
            for (name, path) in [("certificate", certificate), ("key", key)] where path.isEmpty {
                reader.problems.report(reader.path(name), "must be a file path, got an empty string")
            }
            return TLSCertificateFiles(certificate: certificate, key: key)
        case (_?, nil):
            if reader.value("key") == nil {
                reader.problems.report(reader.path("key"), "is required with certificate (the PEM file of its private key)")
            }
        case (nil, _?):
            if reader.value("certificate") == nil {
                reader.problems.report(reader.path("certificate"),
                                       "is required with key (the PEM file of the certificate chain, leaf first)")
            }
        case (nil, nil):
            if required, reader.value("certificate") == nil, reader.value("key") == nil {
                reader.problems.report(reader.path("certificate"), "is required (\(purpose))")
            }
        }
        return nil
    }
}
