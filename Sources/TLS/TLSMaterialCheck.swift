import CSBCOpenSSL

/// Checks an operator's TLS files without building a context: `sbc check-config` reports every
/// problem at once, before a start-up or reload would stop at the first.
public enum TLSMaterialCheck {
    /// Whether the key is the private half of the certificate (the first one in the file).
    /// Throws when either file cannot be read or holds no certificate or key.
    public static func keyMatchesCertificate(certificateFile: String, keyFile: String) throws(TLSConfigurationError) -> Bool {
        let certificates = try PEMFile.certificates(certificateFile)
        defer { certificates.forEach { X509_free($0) } }
        let key = try PEMFile.privateKey(keyFile)
        defer { EVP_PKEY_free(key) }
        OpenSSLErrorQueue.clear()
        let matches = X509_check_private_key(certificates[0], key) == 1
        OpenSSLErrorQueue.clear()  // a mismatch leaves "key values mismatch" behind
        return matches
    }
}
