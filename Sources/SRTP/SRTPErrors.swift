import CSBCSRTP
import SDP

/// Why a packet could not be protected or unprotected. Small and payload-light: it is thrown on
/// the packet path, where the relay counts it and drops the packet.
public enum SRTPPacketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The authentication tag does not match (`srtp_err_status_auth_fail`): forged, corrupted
    /// or keyed with another key. Such a packet must never move a latch.
    case authenticationFailed
    /// A packet index already seen (`srtp_err_status_replay_fail`); on protect, a sequence
    /// number sent before.
    case replayed
    /// A packet index older than the replay window (`srtp_err_status_replay_old`).
    case replayTooOld
    /// The master key's lifetime is used up (the `a=crypto` lifetime, or libsrtp2's own limit):
    /// the peer must re-key by offer/answer.
    case keyExpired
    /// Protect on an inbound context or unprotect on an outbound one.
    case wrongDirection
    /// The buffer does not start on a 4-byte boundary, which libsrtp2 assumes.
    case misalignedBuffer
    /// Protect needs room past the packet for the trailer it appends.
    case insufficientTailRoom(available: Int, required: Int)
    /// The length is negative or larger than the buffer.
    case invalidLength(Int)
    /// Any other `srtp_err_status_t` (a packet too short for its header is `bad_param`, 2).
    case library(status: Int)

    init(status: Int) {
        switch status {
        case Int(srtp_err_status_auth_fail.rawValue): self = .authenticationFailed
        case Int(srtp_err_status_replay_fail.rawValue): self = .replayed
        case Int(srtp_err_status_replay_old.rawValue): self = .replayTooOld
        case Int(srtp_err_status_key_expired.rawValue): self = .keyExpired
        default: self = .library(status: status)
        }
    }

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
        case .misalignedBuffer: "SRTP packet buffer not 4-byte aligned"
        case .insufficientTailRoom(let available, let required):
            "SRTP needs \(required) bytes after the packet, the buffer has \(available)"
        case .invalidLength(let length): "SRTP packet length \(length) does not fit the buffer"
        case .library(let status): "libsrtp2 status \(status) (\(SRTPLibrary.statusName(status)))"
        }
    }
}

/// Why an SRTP context could not be set up (off the packet path).
public enum SRTPSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `srtp_init` failed.
    case libraryInitFailed(status: Int)
    /// The key and salt do not have the suite's length.
    case wrongKeyLength(suite: SRTPCryptoSuite, actual: Int)
    /// `srtp_create` refused the policy (for example a suite this build of libsrtp2 lacks).
    case creationFailed(suite: SRTPCryptoSuite, status: Int)
    /// No stream with this SSRC has been seen or sent yet, so it has no rollover counter.
    case noSuchStream(ssrc: UInt32)

    public var description: String {
        switch self {
        case .libraryInitFailed(let status):
            "srtp_init failed with status \(status) (\(SRTPLibrary.statusName(status)))"
        case .wrongKeyLength(let suite, let actual):
            "\(suite) needs \(suite.keyAndSaltLength) bytes of key and salt, got \(actual)"
        case .creationFailed(let suite, let status):
            "srtp_create for \(suite) failed with status \(status) (\(SRTPLibrary.statusName(status)))"
        case .noSuchStream(let ssrc):
            "no SRTP stream with SSRC \(ssrc)"
        }
    }
}
