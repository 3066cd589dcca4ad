/// A session salt as two big-endian words, and the per-packet IVs built from it.
///
/// Why words: an IV is the salt XOR the stream's SSRC and the packet's index, each at a fixed
/// bit position, so two 64-bit XORs on the stack build it without touching the salt's bytes.
/// The result is a tuple whose memory is the IV's bytes in wire order, ready for OpenSSL.
struct SRTPSalt: Sendable {
    /// Bytes 0...7 and 8...15 of the salt, padded with zeros on the right.
    private let high: UInt64
    private let low: UInt64

    /// `bytes`: 14 (counter mode) or 12 (GCM) bytes.
    init(_ bytes: [UInt8]) {
        precondition(bytes.count <= 16, "an SRTP salt has at most 14 bytes")
        var padded = bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
        high = padded[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = padded[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        for index in padded.indices { padded[index] = 0 }
    }

    /// An IV in wire order: its memory is the 16 bytes (GCM uses the first 12).
    typealias IV = (UInt64, UInt64)

    /// AES-CM (RFC 3711 §4.1.1): `(salt << 16) XOR (SSRC << 64) XOR (index << 16)`, where `index`
    /// is the 48-bit SRTP packet index or the 31-bit SRTCP index.
    @inline(__always)
    func counterModeIV(ssrc: UInt32, index: UInt64) -> IV {
        ((high ^ UInt64(ssrc)).bigEndian, (low ^ (index << 16)).bigEndian)
    }

    /// AES-GCM (RFC 7714 §8.1, §9.1): `(00 00 || SSRC || index as 48 bits) XOR salt`, 12 bytes;
    /// the SRTCP index fills the 48 bits' low 31 exactly as `00 00 || 0 || index` asks.
    @inline(__always)
    func gcmIV(ssrc: UInt32, index: UInt64) -> IV {
        ((high ^ (UInt64(ssrc) << 16 | index >> 32)).bigEndian, (low ^ (index & 0xFFFF_FFFF) << 32).bigEndian)
    }
}
