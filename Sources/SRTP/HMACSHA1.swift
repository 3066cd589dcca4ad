import CSBCOpenSSL

/// HMAC-SHA1 (RFC 2104) under one key, with the key's inner and outer pad blocks hashed once.
///
/// Why precomputed states: per packet the tag then costs the packet's own bytes plus one block
/// for the outer hash (see the shim for why not OpenSSL's EVP HMAC, which allocates per packet in
/// OpenSSL 3.0). A keyed state is only SHA-1's five chaining words after the pad block, so both
/// fit one cache line, allocated here off the packet path and wiped when the owner goes: with
/// hundreds of calls a worker finds most contexts cold, and each line is a miss.
///
/// Noncopyable because it owns that allocation.
struct HMACSHA1: ~Copyable {
    /// Bytes of a digest; SRTP sends the first 10 (`_80`) or 4 (`_32`).
    static let digestLength = 20

    /// The inner then the outer chaining words, 10 x 32 bits, in a 64-byte-aligned line.
    private let state: UnsafeMutablePointer<UInt32>

    init(key: [UInt8]) throws(SRTPSetupError) {
        state = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64).initializeMemory(as: UInt32.self,
                                                                                                repeating: 0, count: 10)
        guard csbc_hmac_sha1_init(state, key, key.count) == 1 else {
            Self.wipe(state)
            throw .cryptoUnavailable(operation: "HMAC-SHA1 keying", reason: "key of \(key.count) bytes")
        }
    }

    deinit {
        Self.wipe(state)
    }

    private static func wipe(_ state: UnsafeMutablePointer<UInt32>) {
        OPENSSL_cleanse(state, 10 * MemoryLayout<UInt32>.stride)
        state.deallocate()
    }

    /// Writes the HMAC of `count` bytes at `data` followed by `suffixCount` bytes at `suffix`
    /// (SRTP's rollover counter; nil for none) to the 20 bytes at `digest`.
    @inline(__always)
    func authenticate(_ data: UnsafePointer<UInt8>, count: Int, suffix: UnsafePointer<UInt8>?, suffixCount: Int,
                      digest: UnsafeMutablePointer<UInt8>) -> Bool {
        csbc_hmac_sha1(state, data, count, suffix, suffixCount, digest) == 1
    }
}
