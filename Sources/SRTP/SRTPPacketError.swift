/// Why a packet could not be protected or unprotected. Small and payload-light: it is thrown on
/// the packet path, where the relay counts it and drops the packet.
public enum SRTPPacketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The authentication tag does not match: forged, corrupted or keyed with another key. Such
    /// a packet must never move a latch.
    case authenticationFailed
    /// A packet index already seen; on protect, a sequence number sent before (protecting it
    /// again would reuse keystream).
    case replayed
    /// A packet index older than the replay window.
    case replayTooOld
    /// The master key's lifetime is used up (the `a=crypto` lifetime, 2^48 SRTP packets or
    /// 2^31 SRTCP packets): the peer must re-key by offer/answer.
    case keyExpired
    /// Protect on an inbound context or unprotect on an outbound one.
    case wrongDirection
    /// Protect needs room past the packet for the trailer it appends.
    case insufficientTailRoom(available: Int, required: Int)
    /// The length is negative or larger than the buffer.
    case invalidLength(Int)
    /// The packet is shorter than its header (with CSRCs and extension) plus the trailer the
    /// suite requires.
    case packetTooShort(length: Int, minimum: Int)
    /// The packet's MKI is not the key's: sent under another master key.
    case unknownMKI
    /// An authentic SRTCP packet whose E flag contradicts what was negotiated (`encrypted`: what
    /// the packet says).
    case encryptionFlagMismatch(encrypted: Bool)
    /// OpenSSL failed on a well-formed packet; never expected.
    case cryptoFailure

    /// Whether the packet failed the SRTP checks themselves (authentication or replay): the
    /// counters the issue asks for per leg.
    public var isAuthenticationOrReplay: Bool {
        switch self {
        case .authenticationFailed, .replayed, .replayTooOld: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .authenticationFailed: "SRTP authentication failed"
        case .replayed: "SRTP replay (index already seen)"
        case .replayTooOld: "SRTP replay (index older than the replay window)"
        case .keyExpired: "SRTP master key lifetime used up"
        case .wrongDirection: "SRTP context used in the wrong direction"
        case .insufficientTailRoom(let available, let required):
            "SRTP needs \(required) bytes after the packet, the buffer has \(available)"
        case .invalidLength(let length): "SRTP packet length \(length) does not fit the buffer"
        case .packetTooShort(let length, let minimum):
            "SRTP packet of \(length) bytes, shorter than its header and trailer (\(minimum))"
        case .unknownMKI: "SRTP packet with an MKI the key does not have"
        case .encryptionFlagMismatch(let encrypted):
            "SRTCP packet \(encrypted ? "encrypted" : "unencrypted") against what was negotiated"
        case .cryptoFailure: "SRTP cipher failed (OpenSSL)"
        }
    }
}
