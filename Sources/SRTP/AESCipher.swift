import CSBCOpenSSL

/// One AES key in an OpenSSL cipher context: keyed once, then re-initialised with only an IV for
/// every packet. AES-CTR serves the counter-mode suites and the key derivation, AES-GCM the AEAD
/// suites.
///
/// Why one context per key, kept for the session: keying expands the AES schedule (and, for GCM,
/// the GHASH key), which per packet would cost more than the packet's encryption; an IV-only
/// re-initialisation of a preallocated context allocates nothing. The same context encrypts and
/// decrypts (CTR and GCM both run AES forwards), so the direction is chosen per call.
///
/// Noncopyable because it owns the `EVP_CIPHER_CTX`: its one owner frees it (and OpenSSL wipes
/// the key schedule) exactly once.
struct AESCipher: ~Copyable {
    enum Mode: Sendable {
        case counter
        case gcm
    }

    /// How a protect or unprotect went.
    enum Outcome: Sendable {
        /// Protected; or authentic and decrypted.
        case ok
        /// The tag does not match: forged, corrupted or under another key.
        case forged
        /// OpenSSL failed for another reason; nothing was authenticated.
        case failed
    }

    private let context: OpaquePointer

    /// A context for `mode` keyed with `key` (16 or 32 bytes: AES-128 or AES-256).
    init(mode: Mode, key: [UInt8]) throws(SRTPSetupError) {
        let cipher: OpaquePointer? = switch (mode, key.count) {
        case (.counter, 16): EVP_aes_128_ctr()
        case (.counter, 32): EVP_aes_256_ctr()
        case (.gcm, 16): EVP_aes_128_gcm()
        case (.gcm, 32): EVP_aes_256_gcm()
        default: nil
        }
        guard let cipher else {
            throw .cryptoUnavailable(operation: "AES-\(key.count * 8) \(mode)", reason: "no such key length")
        }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw .cryptoUnavailable(operation: "EVP_CIPHER_CTX_new", reason: SRTPSetupError.openSSLReason())
        }
        guard EVP_EncryptInit_ex(context, cipher, nil, key, nil) == 1 else {
            let reason = SRTPSetupError.openSSLReason()
            EVP_CIPHER_CTX_free(context)
            throw .cryptoUnavailable(operation: "EVP_EncryptInit_ex (AES-\(key.count * 8) \(mode))", reason: reason)
        }
        self.context = context
    }

    deinit {
        EVP_CIPHER_CTX_free(context)
    }

    /// Counter mode: XORs `count` bytes at `data` with the keystream that starts at the 16-byte
    /// counter block `iv`. Encryption and decryption are the same operation.
    @inline(__always)
    func applyKeystream(iv: UnsafeRawPointer, to data: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        csbc_aes_ctr_apply(context, iv.assumingMemoryBound(to: UInt8.self), data, Int32(count)) == 1
    }

    /// GCM: encrypts `count` bytes at `data` in place under the 12-byte `iv`, authenticating
    /// `aad` then `aad2` (nil: none), and writes the 16-byte tag to `tag`.
    @inline(__always)
    func seal(iv: UnsafeRawPointer, aad: UnsafePointer<UInt8>, aadCount: Int, aad2: UnsafePointer<UInt8>?, aad2Count: Int,
              data: UnsafeMutablePointer<UInt8>, count: Int, tag: UnsafeMutablePointer<UInt8>) -> Bool {
        csbc_aes_gcm_seal(context, iv.assumingMemoryBound(to: UInt8.self), aad, Int32(aadCount), aad2, Int32(aad2Count),
                          data, Int32(count), tag) == 1
    }

    /// GCM: decrypts in place and checks `tag` against what was sealed. On `.forged` the bytes
    /// are decrypted all the same and must be thrown away.
    @inline(__always)
    func open(iv: UnsafeRawPointer, aad: UnsafePointer<UInt8>, aadCount: Int, aad2: UnsafePointer<UInt8>?, aad2Count: Int,
              data: UnsafeMutablePointer<UInt8>, count: Int, tag: UnsafePointer<UInt8>) -> Outcome {
        switch csbc_aes_gcm_open(context, iv.assumingMemoryBound(to: UInt8.self), aad, Int32(aadCount), aad2,
                                 Int32(aad2Count), data, Int32(count), tag) {
        case 1: .ok
        case 0: .forged
        default: .failed
        }
    }
}
