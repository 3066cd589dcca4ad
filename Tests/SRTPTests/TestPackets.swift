import SDP
import SRTP

enum TestPackets {
    static func rtp(sequence: UInt16, ssrc: UInt32 = 0xCAFE_BABE, payload: Int = 160) -> [UInt8] {
        [0x80, 0x00, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x12, 0x34]
            + withUnsafeBytes(of: ssrc.bigEndian, Array.init) + (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
    }

    /// A sender report header and some report bytes (28 bytes).
    static func rtcp(ssrc: UInt32 = 0xCAFE_BABE) -> [UInt8] {
        [0x80, 200, 0x00, 0x06] + withUnsafeBytes(of: ssrc.bigEndian, Array.init) + [UInt8](repeating: 0x5A, count: 20)
    }

    static func key(_ suite: SRTPCryptoSuite, seed: UInt8 = 1, lifetime: SDPCryptoLifetime? = nil,
                    mki: SDPCryptoMKI? = nil) -> SDPCryptoKeyParameter
    {
        SDPCryptoKeyParameter(keyAndSalt: (0..<suite.keyAndSaltLength).map { UInt8(truncatingIfNeeded: $0 * 7) &+ seed },
                              lifetime: lifetime, mki: mki)
    }

    static func pair(_ suite: SRTPCryptoSuite, key: SDPCryptoKeyParameter? = nil, unencryptedSRTCP: Bool = false)
        throws -> (sender: SRTPContext, receiver: SRTPContext)
    {
        let key = key ?? self.key(suite)
        return (try SRTPContext(suite: suite, key: key, direction: .outbound, unencryptedSRTCP: unencryptedSRTCP),
                try SRTPContext(suite: suite, key: key, direction: .inbound, unencryptedSRTCP: unencryptedSRTCP))
    }

    /// Bytes from hexadecimal as RFCs print them (whitespace ignored).
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var pending: UInt8?
        for character in text where !character.isWhitespace {
            let nibble = UInt8(character.hexDigitValue!)
            if let high = pending {
                bytes.append(high << 4 | nibble)
                pending = nil
            } else {
                pending = nibble
            }
        }
        precondition(pending == nil, "odd number of hex digits")
        return bytes
    }
}
