import CSBCOpenSSL

/// What an operator and the expiry monitor need to know about one X.509 certificate, copied out
/// of OpenSSL so it outlives the connection or file it came from.
public struct CertificateInfo: Sendable, Equatable, Hashable {
    /// One line, RFC 2253 style (`XN_FLAG_RFC2253`): "CN=carrier-b.lab,O=Carrier B".
    public var subject: String
    public var issuer: String
    /// Upper-case hex, as `openssl x509 -serial` prints it.
    public var serialNumber: String
    /// Unix seconds.
    public var notBefore: Int64
    /// Unix seconds.
    public var notAfter: Int64
    /// "DNS:carrier-b.lab", "IP:127.0.0.12" (also "URI:" and "email:" entries), in certificate order.
    public var subjectAltNames: [String]
    /// Base64 SHA-256 of the SubjectPublicKeyInfo: the value `.chainAndPin` compares.
    public var spkiSHA256: String

    public init(
        subject: String, issuer: String, serialNumber: String, notBefore: Int64, notAfter: Int64,
        subjectAltNames: [String], spkiSHA256: String
    ) {
        self.subject = subject
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.subjectAltNames = subjectAltNames
        self.spkiSHA256 = spkiSHA256
    }

    /// Negative once expired.
    public func secondsUntilExpiry(now: Int64) -> Int64 { notAfter - now }

    /// Every certificate in a PEM file, in file order (leaf first for a chain file).
    public static func load(pemFile path: String) throws(TLSConfigurationError) -> [CertificateInfo] {
        let certificates = try PEMFile.certificates(path)
        defer { certificates.forEach { X509_free($0) } }
        return certificates.map { CertificateInfo(x509: $0) }
    }

    /// Copies the fields out of an `X509 *` (borrowed, not freed).
    init(x509: OpaquePointer) {
        subject = Self.name(X509_get_subject_name(x509))
        issuer = Self.name(X509_get_issuer_name(x509))
        serialNumber = Self.serial(x509)
        notBefore = UnixTime.seconds(X509_get0_notBefore(x509))
        notAfter = UnixTime.seconds(X509_get0_notAfter(x509))
        subjectAltNames = Self.withMemoryBIO { bio in
            guard csbc_X509_write_subject_alt_names(x509, bio) > 0 else { return [] }
            return Self.text(of: bio).split(separator: "\n").map(String.init)
        }
        spkiSHA256 = Self.spkiSHA256(x509)
    }

    /// Base64 SHA-256 of the certificate's DER SubjectPublicKeyInfo ("" if it cannot be encoded).
    static func spkiSHA256(_ x509: OpaquePointer) -> String {
        let publicKey = X509_get_X509_PUBKEY(x509)
        let length = i2d_X509_PUBKEY(publicKey, nil)
        guard length > 0 else { return "" }
        var der = [UInt8](repeating: 0, count: Int(length))
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        let encoded = der.withUnsafeMutableBufferPointer { buffer -> Bool in
            var cursor = buffer.baseAddress
            guard i2d_X509_PUBKEY(publicKey, &cursor) == length else { return false }
            return EVP_Digest(buffer.baseAddress, buffer.count, &digest, &digestLength, EVP_sha256(), nil) == 1
        }
        guard encoded else { return "" }
        return base64(digest[0..<Int(digestLength)])
    }

    static func base64(_ bytes: ArraySlice<UInt8>) -> String {
        var output = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
        let count = bytes.withUnsafeBufferPointer { input in
            EVP_EncodeBlock(&output, input.baseAddress, Int32(input.count))
        }
        return String(decoding: output[0..<Int(max(count, 0))], as: UTF8.self)
    }

    private static func name(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        return withMemoryBIO { bio in
            guard X509_NAME_print_ex(bio, name, 0, csbc_XN_FLAG_RFC2253()) >= 0 else { return "" }
            return text(of: bio)
        }
    }

    private static func serial(_ x509: OpaquePointer) -> String {
        guard let number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { csbc_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    private static func withMemoryBIO<Result>(_ body: (OpaquePointer?) -> Result) -> Result {
        let bio = BIO_new(BIO_s_mem())
        defer { BIO_free(bio) }
        return body(bio)
    }

    private static func text(of bio: OpaquePointer?) -> String {
        var data: UnsafeMutablePointer<CChar>?
        let length = csbc_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }
}
