import Media
import SDP
import SRTP

/// A party that speaks SDES-SRTP to the relay from one loopback socket: it protects with its
/// own key and reads what the relay sends it with the SBC's key for its side, as a real phone
/// would after offer/answer. `keys` is that side's `MediaLegSpec.srtp` (remote = the party's
/// key, local = the SBC's).
///
/// The party runs libsrtp2 (`SRTPLibrarySession`), not the SBC's own SRTP: every relay test is
/// also an interoperability test of the relay's contexts against an independent implementation.
final class SRTPTestParty {
    let peer: TestPeer
    private(set) var keys: SDESStreamKeys
    private var sender: SRTPLibrarySession
    private var receiver: SRTPLibrarySession

    var media: MediaAddress { peer.media }

    /// `mki`: the party's own key carries it (the SBC's key for the side has none).
    init(_ host: String, _ port: UInt16, suite: SRTPCryptoSuite, seed: UInt8, mki: SDPCryptoMKI? = nil) throws {
        peer = try TestPeer(host, port)
        keys = Self.keys(suite, seed: seed)
        keys.remote.mki = mki
        (sender, receiver) = try Self.contexts(keys)
    }

    /// New keys on both directions, as after a re-INVITE that re-keys.
    func rekey(seed: UInt8) throws {
        keys = Self.keys(keys.suite, seed: seed)
        (sender, receiver) = try Self.contexts(keys)
    }

    func protect(_ plain: [UInt8], rtcp: Bool = false) throws -> [UInt8] {
        try Self.crypt(plain) { buffer, length throws(SRTPLibraryError) in
            rtcp ? try sender.protectRTCP(buffer, length: length) : try sender.protectRTP(buffer, length: length)
        }
    }

    /// A packet with the right header and SSRC whose tag is wrong: what a forger without the key
    /// can send.
    func forge(_ plain: [UInt8]) throws -> [UInt8] {
        // A context of its own, so the real sender's sequence state is untouched.
        let forger = try SRTPLibrarySession(suite: keys.suite, key: keys.remote, direction: .outbound)
        var bytes = try Self.crypt(plain) { buffer, length throws(SRTPLibraryError) in
            try forger.protectRTP(buffer, length: length)
        }
        bytes[bytes.count - 1] ^= 0x5A
        return bytes
    }

    func unprotect(_ bytes: [UInt8], rtcp: Bool = false) throws -> [UInt8] {
        try Self.crypt(bytes) { buffer, length throws(SRTPLibraryError) in
            rtcp ? try receiver.unprotectRTCP(buffer, length: length) : try receiver.unprotectRTP(buffer, length: length)
        }
    }

    func send(_ bytes: [UInt8], to port: UInt16, host: String = MediaRelaySRTPTests.relayHost) throws {
        try peer.send(bytes, to: host, port)
    }

    /// Deterministic keys per seed: the party's own key from `seed`, the SBC's from `seed + 100`.
    static func keys(_ suite: SRTPCryptoSuite, seed: UInt8) -> SDESStreamKeys {
        func key(_ seed: UInt8) -> SDPCryptoKeyParameter {
            SDPCryptoKeyParameter(keyAndSalt: (0..<suite.keyAndSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed })
        }
        return SDESStreamKeys(suite: suite, remote: key(seed), local: key(seed &+ 100))
    }

    private static func contexts(_ keys: SDESStreamKeys) throws -> (SRTPLibrarySession, SRTPLibrarySession) {
        (try SRTPLibrarySession(suite: keys.suite, key: keys.remote, direction: .outbound),
         try SRTPLibrarySession(suite: keys.suite, key: keys.local, direction: .inbound))
    }

    /// Runs `body` on a copy of `bytes` in an aligned buffer with room for a trailer.
    private static func crypt(_ bytes: [UInt8],
                              _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPLibraryError) -> Int) throws -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2208, alignment: 16)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        let length = try body(buffer, bytes.count)
        return Array(buffer[0..<length])
    }
}
