/// The three base intervals of RFC 3261 17 (Table 4), from which every transaction timer is
/// derived.
///
/// They are configurable rather than constants because RFC 3261 17.1.1.1 lets T1 be raised on
/// high-latency paths (and lowered on private networks), and because tests run whole
/// retransmission schedules with scaled-down values. Every derived duration is computed here, in
/// one place, so that the four state machines cannot disagree about, say, what 64*T1 is.
public struct TransactionTimers: Sendable, Equatable {
    /// RTT estimate: the first retransmission interval (default 500 ms).
    public var t1: Duration
    /// Cap on the retransmission interval of non-INVITE requests and of INVITE responses
    /// (default 4 s).
    public var t2: Duration
    /// Maximum time a message stays in the network: how long completed transactions linger over
    /// unreliable transports to absorb stray retransmissions (default 5 s).
    public var t4: Duration

    public init(t1: Duration = .milliseconds(500), t2: Duration = .seconds(4), t4: Duration = .seconds(5)) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// 64*T1: the lifetime bound shared by Timers B, F, H, J (unreliable), L and M. The same
    /// figure everywhere is what lets both ends of a transaction agree when to give up.
    public var transactionTimeout: Duration { t1 * 64 }

    /// Timer D: RFC 3261 asks for "at least 32 s" so that every retransmission of a non-2xx
    /// final the server may send (bounded by its own 64*T1) is still absorbed by re-sending the
    /// ACK. With a T1 above the default that bound grows, so D follows it.
    public var timerD: Duration { max(.seconds(32), transactionTimeout) }

    /// The retransmission interval after `interval`: doubled, but never above T2 (Timers E and
    /// G, and the 2xx retransmission of RFC 3261 13.3.1.4).
    func doubledCapped(_ interval: Duration) -> Duration { min(interval * 2, t2) }
}
