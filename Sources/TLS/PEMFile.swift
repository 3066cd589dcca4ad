#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSBCOpenSSL

/// Reads operator PEM files into memory and parses them, so that "cannot read" (with the
/// system's reason) and "not PEM" are told apart and both name the path.
enum PEMFile {
    /// The file's bytes. Size-capped: a certificate bundle is kilobytes, never megabytes.
    static func read(_ path: String, limit: Int = 8 << 20) throws(TLSConfigurationError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count {
                if ferror(file) != 0 { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
                break
            }
            if bytes.count > limit { throw .invalidPEM(path: path, reason: "larger than \(limit) bytes") }
        }
        return bytes
    }

    /// Every certificate in the file, in file order (leaf first for a chain). The caller frees
    /// each with `X509_free`.
    static func certificates(_ path: String) throws(TLSConfigurationError) -> [OpaquePointer] {
        let bytes = try read(path)
        OpenSSLErrorQueue.clear()
        let parsed: Result<[OpaquePointer], TLSConfigurationError> = withMemoryBIO(bytes) { bio in
            var certificates: [OpaquePointer] = []
            while let certificate = PEM_read_bio_X509(bio, nil, noPassphrase, nil) {
                certificates.append(certificate)
            }
            // The loop ends at the end of the input ("no start line") or at a broken block.
            let errors = OpenSSLErrorQueue.drain()
            let broken = errors.filter { $0.reasonCode != PEM_R_NO_START_LINE }
            if !broken.isEmpty || certificates.isEmpty {
                certificates.forEach { X509_free($0) }
                let reason = broken.isEmpty ? "no certificate found" : broken.map(\.reason).joined(separator: "; ")
                return .failure(.invalidPEM(path: path, reason: reason))
            }
            return .success(certificates)
        }
        return try parsed.get()
    }

    /// The first private key in the file; the caller frees it with `EVP_PKEY_free`.
    /// Encrypted keys are refused rather than prompting on a terminal.
    static func privateKey(_ path: String) throws(TLSConfigurationError) -> OpaquePointer {
        let bytes = try read(path)
        OpenSSLErrorQueue.clear()
        let key = withMemoryBIO(bytes) { PEM_read_bio_PrivateKey($0, nil, noPassphrase, nil) }
        guard let key else {
            throw .invalidPEM(path: path, reason: OpenSSLErrorQueue.drainedText(fallback: "no private key found"))
        }
        return key
    }

    /// Runs `body` with a read-only memory BIO over `bytes`.
    static func withMemoryBIO<Result>(_ bytes: [UInt8], _ body: (OpaquePointer?) -> Result) -> Result {
        bytes.withUnsafeBytes { raw in
            let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count))
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// A passphrase callback that supplies none: the SBC starts unattended, so an encrypted key
    /// is a configuration error, never a prompt.
    static let noPassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
        _, _, _, _ in -1
    }
}
