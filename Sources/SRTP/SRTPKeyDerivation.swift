/// The SRTP key derivation function (RFC 3711 §4.3) with the AES-CM PRF and a key derivation
/// rate of 0, the one the SBC accepts: every session key is derived once, when a context is
/// built.
///
/// A session key of label `l` is the AES-CTR keystream under the master key that starts at the
/// counter block `(master salt XOR (l << 48)) << 16`; the salt is 112 bits for the counter-mode
/// suites, and RFC 7714's 96-bit GCM salt is padded with 16 zero bits on the right to the same
/// 112 (§11, what libsrtp2 does too). AES-256 master keys use AES-256 as the PRF (RFC 6188 §7).
struct SRTPKeyDerivation: ~Copyable {
    /// The labels of RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP).
    enum Label: UInt8, Sendable {
        case rtpEncryption = 0
        case rtpAuthentication = 1
        case rtpSalt = 2
        case rtcpEncryption = 3
        case rtcpAuthentication = 4
        case rtcpSalt = 5
    }

    private let prf: AESCipher
    /// The master salt padded to 14 bytes.
    private let salt: [UInt8]

    init(masterKey: [UInt8], masterSalt: [UInt8]) throws(SRTPSetupError) {
        guard masterSalt.count <= 14 else {
            throw .cryptoUnavailable(operation: "SRTP key derivation", reason: "master salt of \(masterSalt.count) bytes")
        }
        prf = try AESCipher(mode: .counter, key: masterKey)
        salt = masterSalt + [UInt8](repeating: 0, count: 14 - masterSalt.count)
    }

    /// `count` bytes of the session key with `label`.
    func derive(_ label: Label, count: Int) throws(SRTPSetupError) -> [UInt8] {
        var counter = salt + [0, 0]
        counter[7] ^= label.rawValue
        var output = [UInt8](repeating: 0, count: count)
        let ok = output.withUnsafeMutableBufferPointer { output in
            counter.withUnsafeBytes { counter in
                prf.applyKeystream(iv: counter.baseAddress!, to: output.baseAddress!, count: count)
            }
        }
        guard ok else { throw .cryptoUnavailable(operation: "SRTP key derivation", reason: SRTPSetupError.openSSLReason()) }
        return output
    }
}
