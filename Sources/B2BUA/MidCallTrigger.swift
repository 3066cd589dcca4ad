/// What killed an established call's carrier leg, as CDRs, metrics and the BYE's Reason name it.
public enum MidCallTrigger: Sendable, Equatable, CustomStringConvertible {
    /// The carrier answered a relayed re-INVITE or UPDATE with a failover code or 481.
    case reinviteRefused(status: Int)
    /// A relayed re-INVITE or UPDATE got no final answer in `reinvite_timeout_ms`.
    case reinviteTimeout
    /// No RTP from the carrier for the media timeout.
    case mediaTimeout
    /// ICMP unreachable errors came back for the carrier's media.
    case icmpUnreachable
    /// The carrier's signalling transport failed (ICMP for its SIP, a TCP connection that could
    /// not be re-established).
    case transportLoss
    /// In-dialog OPTIONS got 481, or no answer `keepalive_failures` times.
    case keepaliveFailed(status: Int?)
    /// The carrier leg's RFC 4028 session expired: no refresh from the carrier in time, or the
    /// SBC's own refreshes to it failed.
    case sessionExpired
    /// Not a failure: a transfer (REFER under `refer: terminate`) replaces the carrier leg with
    /// one to the transfer target (B2BUA+Refer.swift).
    case transfer

    /// The label in CDRs (attempt reason) and metrics (`trigger`).
    public var description: String {
        switch self {
        case .reinviteRefused(let status): "reinvite_\(status)"
        case .reinviteTimeout: "reinvite_timeout"
        case .mediaTimeout: "media_timeout"
        case .icmpUnreachable: "icmp_unreachable"
        case .transportLoss: "transport_loss"
        case .keepaliveFailed(let status): status.map { "keepalive_\($0)" } ?? "keepalive_timeout"
        case .sessionExpired: "session_expired"
        case .transfer: "transfer"
        }
    }

    /// The cause of the dead leg's BYE `Reason` (RFC 3326).
    var cause: Int {
        switch self {
        case .reinviteRefused(let status): status
        case .reinviteTimeout, .mediaTimeout, .keepaliveFailed(nil), .sessionExpired: 408
        case .keepaliveFailed(let status?): status
        case .icmpUnreachable, .transportLoss: 503
        case .transfer: 200
        }
    }
}
