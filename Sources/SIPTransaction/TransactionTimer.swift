/// The timers of RFC 3261 17 plus L and M from RFC 6026.
///
/// A transaction has at most one pending instance of each; re-arming one replaces the previous
/// deadline. In the Accepted state of a server INVITE transaction, Timer G paces the 2xx
/// retransmissions that RFC 3261 13.3.1.4 assigns to the UAS core: this implementation keeps them
/// in the transaction so that the TU has no timer of its own to run.
public enum TransactionTimer: Sendable, Hashable, CustomStringConvertible {
    /// Client INVITE, Calling: retransmit the INVITE (T1, doubling; unreliable only).
    case a
    /// Client INVITE, Calling: give up after 64*T1 (the TU acts as on 408).
    case b
    /// Client INVITE, Completed: absorb retransmitted non-2xx finals (32 s unreliable, 0 reliable).
    case d
    /// Client non-INVITE: retransmit the request (T1 doubling to T2; unreliable only).
    case e
    /// Client non-INVITE: give up after 64*T1.
    case f
    /// Server INVITE: retransmit the final response (T1 doubling to T2; unreliable only).
    case g
    /// Server INVITE, Completed: give up waiting for the ACK after 64*T1.
    case h
    /// Server INVITE, Confirmed: absorb retransmitted ACKs (T4 unreliable, 0 reliable).
    case i
    /// Server non-INVITE, Completed: absorb retransmitted requests (64*T1 unreliable, 0 reliable).
    case j
    /// Client non-INVITE, Completed: absorb retransmitted finals (T4 unreliable, 0 reliable).
    case k
    /// RFC 6026 server INVITE, Accepted: absorb retransmitted INVITEs, pass ACKs up (64*T1).
    case l
    /// RFC 6026 client INVITE, Accepted: pass further 2xx up to the TU (64*T1).
    case m

    public var description: String {
        switch self {
        case .a: "A"
        case .b: "B"
        case .d: "D"
        case .e: "E"
        case .f: "F"
        case .g: "G"
        case .h: "H"
        case .i: "I"
        case .j: "J"
        case .k: "K"
        case .l: "L"
        case .m: "M"
        }
    }
}
