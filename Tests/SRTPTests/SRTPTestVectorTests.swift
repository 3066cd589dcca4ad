@testable import SRTP
import SDP
import Testing

/// The published test vectors: RFC 3711 appendix B (AES-CM keystream, key derivation), RFC 6188
/// §7.2 (AES-256 key derivation) and RFC 7714 §16-17 (AES-GCM SRTP and SRTCP). The RFC 7714
/// vectors give session keys, not master keys, so they go through the context's internal
/// session-key initialiser and, for SRTCP sent at index 0x5d4, through the transform itself.
@Suite struct SRTPTestVectorTests {
    private static let hex = TestPackets.hex

    // MARK: RFC 3711 B.2: AES-CM keystream

    @Test func aesCounterModeKeystream() throws {
        let keys = SRTPSessionKeys(encryption: Self.hex("2B7E151628AED2A6ABF7158809CF4F3C"),
                                   authentication: [UInt8](repeating: 0, count: 20),
                                   salt: Self.hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"))
        let context = try SRTPContext(suite: .aesCM128HMACSHA1_80, rtp: keys, rtcp: keys, direction: .outbound)
        // SSRC 0, sequence 0, rollover counter 0: the IV is the salt shifted by 16 bits, and a
        // zero payload encrypts to the keystream itself, up to block 0xFF01.
        let blocks = 0xFF02
        let packet = PacketBuffer([0x80] + [UInt8](repeating: 0, count: 11 + 16 * blocks), capacity: 12 + 16 * blocks + 64)
        try packet.protectRTP(context)
        func block(_ number: Int) -> [UInt8] { Array(packet.storage[12 + 16 * number..<12 + 16 * (number + 1)]) }
        #expect(block(0) == Self.hex("E03EAD0935C95E80E166B16DD92B4EB4"))
        #expect(block(1) == Self.hex("D23513162B02D0F72A43A2FE4A5F97AB"))
        #expect(block(2) == Self.hex("41E95B3BB0A2E8DD477901E4FCA894C0"))
        #expect(block(0xFEFF) == Self.hex("EC8CDF7398607CB0F2D21675EA9EA1E4"))
        #expect(block(0xFF00) == Self.hex("362B7C3C6773516318A077D7FC5073AE"))
        #expect(block(0xFF01) == Self.hex("6A2CC3787889374FBEB4C81B17BA6C44"))
    }

    // MARK: RFC 3711 B.3 and RFC 6188 7.2: key derivation

    @Test func keyDerivation() throws {
        let kdf = try SRTPKeyDerivation(masterKey: Self.hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
                                        masterSalt: Self.hex("0EC675AD498AFEEBB6960B3AABE6"))
        #expect(try kdf.derive(.rtpEncryption, count: 16) == Self.hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(try kdf.derive(.rtpSalt, count: 14) == Self.hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(try kdf.derive(.rtpAuthentication, count: 94) == Self.hex("""
            CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE
            E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25
            6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2
            """))
    }

    @Test func aes256KeyDerivation() throws {
        let kdf = try SRTPKeyDerivation(masterKey: Self.hex("F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6"),
                                        masterSalt: Self.hex("3B04803DE51EE7C96423AB5B78D2"))
        #expect(try kdf.derive(.rtpEncryption, count: 32)
                    == Self.hex("5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4"))
        #expect(try kdf.derive(.rtpSalt, count: 14) == Self.hex("FA31791685CA444A9E07C6C64E93"))
    }

    // MARK: RFC 7714 16-17: AES-GCM

    static let gcmKey128 = hex("000102030405060708090a0b0c0d0e0f")
    static let gcmKey256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
    /// "Quid pro quo".
    static let gcmSalt = hex("517569642070726f2071756f")
    /// SSRC 0x5501a0b2, sequence 0xf17b, "Gallia est omnis divisa in partes tres".
    static let gcmRTP = hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
        69736120 696e2070 61727465 73207472 6573
        """)
    /// A sender report from SSRC "Mars" (0x4d617273).
    static let gcmRTCP = hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """)

    static func gcmContext(_ suite: SRTPCryptoSuite, _ direction: SRTPDirection) throws -> SRTPContext {
        let keys = SRTPSessionKeys(encryption: suite == .aeadAES128GCM ? gcmKey128 : gcmKey256, authentication: [],
                                   salt: gcmSalt)
        return try SRTPContext(suite: suite, rtp: keys, rtcp: keys, direction: direction)
    }

    @Test func gcmInitialisationVectors() {
        let salt = SRTPSalt(Self.gcmSalt)
        var rtp = salt.gcmIV(ssrc: 0x5501_A0B2, index: 0xF17B)
        #expect(withUnsafeBytes(of: &rtp) { Array($0.prefix(12)) } == Self.hex("51753c6580c2726f20718414"))
        var rtcp = salt.gcmIV(ssrc: 0x4D61_7273, index: 0x5D4)
        #expect(withUnsafeBytes(of: &rtcp) { Array($0.prefix(12)) } == Self.hex("517524055203726f207170bb"))
    }

    @Test(arguments: [
        (SRTPCryptoSuite.aeadAES128GCM, """
            8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a
            51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce
            """),
        (SRTPCryptoSuite.aeadAES256GCM, """
            8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02
            76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13
            """),
    ])
    func gcmSRTP(suite: SRTPCryptoSuite, expected: String) throws {
        let packet = PacketBuffer(Self.gcmRTP)
        try packet.protectRTP(try Self.gcmContext(suite, .outbound))
        #expect(packet.bytes == Self.hex(expected))
        try packet.unprotectRTP(try Self.gcmContext(suite, .inbound))
        #expect(packet.bytes == Self.gcmRTP)
    }

    @Test(arguments: [
        (SRTPCryptoSuite.aeadAES128GCM, true, """
            81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda
            4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4
            """),
        (SRTPCryptoSuite.aeadAES256GCM, true, """
            81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be
            8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4
            """),
        (SRTPCryptoSuite.aeadAES128GCM, false, """
            81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef
            deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4
            """),
        (SRTPCryptoSuite.aeadAES256GCM, false, """
            81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef
            deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4
            """),
    ])
    func gcmSRTCP(suite: SRTPCryptoSuite, encrypted: Bool, expected: String) throws {
        let keys = SRTPSessionKeys(encryption: suite == .aeadAES128GCM ? Self.gcmKey128 : Self.gcmKey256,
                                   authentication: [], salt: Self.gcmSalt)
        // Sent at SRTCP index 0x5d4, which a context reaches only after 0x5d3 packets: the
        // transform itself, laid out as the context lays out GCM SRTCP.
        let transform = try SRTPTransform(suite: suite, keys: keys, rtcp: true)
        let layout = SRTPTrailerLayout.rtcp(suite: suite, mkiLength: 0)
        let packet = PacketBuffer(Self.gcmRTCP)
        let plainLength = Self.gcmRTCP.count
        let base = packet.storage.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let end = base + plainLength
        let word: UInt32 = (encrypted ? 0x8000_0000 : 0) | 0x5D4
        for offset in 0..<4 { end[layout.index + offset] = UInt8(truncatingIfNeeded: word >> (24 - 8 * offset)) }
        let outcome = transform.transformRTCP(.outbound, base, payloadEnd: plainLength, ssrc: 0x4D61_7273, index: 0x5D4,
                                              encrypted: encrypted, trailer: end + layout.index, tag: end + layout.tag)
        #expect(outcome == .ok)
        packet.length = plainLength + layout.length
        #expect(packet.bytes == Self.hex(expected))

        // Inbound, the whole context: the index comes from the packet.
        let receiver = try SRTPContext(suite: suite, rtp: keys, rtcp: keys, direction: .inbound,
                                       unencryptedSRTCP: !encrypted)
        try packet.unprotectRTCP(receiver)
        #expect(packet.bytes == Self.gcmRTCP)
    }
}
