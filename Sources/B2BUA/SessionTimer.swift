import SIPTransaction

/// One dialog's RFC 4028 session timer as the SBC runs it: the negotiated interval, who
/// refreshes, and when the SBC next acts on it.
///
/// Why per leg: the SBC terminates session timers on each dialog of a call, so the platform's
/// interval and refresher and the carrier's are independent, and a refresh on one leg never has
/// to cross to the other. Sans-IO: the B2BUA arms one per-call timer at `deadline` and asks
/// `due(at:)` what to do when it fires.
struct SessionTimer: Sendable, Equatable {
    enum Refresher: Sendable, Equatable { case sbc, peer }

    /// What is due when the timer fires.
    enum Due: Equatable {
        /// The SBC refreshes the session (re-INVITE or UPDATE).
        case refresh
        /// Nobody refreshed in time: the session is over (RFC 4028 §10).
        case expire
    }

    let interval: Duration
    let refresher: Refresher
    let refreshedAt: Duration
    /// The Min-SE the SBC puts in its own refreshes (its own, or a higher one the peer asked for).
    var minSE: Int
    /// The peer listed UPDATE in Allow: the SBC refreshes with an UPDATE without a body, which
    /// touches neither side's SDP (RFC 4028 §7.4), rather than a re-INVITE.
    let peerAllowsUpdate: Bool
    /// When the SBC sends its next refresh; nil when the peer refreshes, or once a refresh failed
    /// too close to the expiry to try again.
    private(set) var nextRefresh: Duration?
    /// The SBC's refresh in flight on this leg.
    var refreshing: TransactionKey?
    /// The per-call timer armed for this leg (stale heap entries carry another sequence).
    var timer: UInt64?

    init(interval: Duration, refresher: Refresher, now: Duration, minSE: Int, peerAllowsUpdate: Bool) {
        self.interval = interval
        self.refresher = refresher
        refreshedAt = now
        self.minSE = minSE
        self.peerAllowsUpdate = peerAllowsUpdate
        // RFC 4028 §10: the refresher refreshes at half the interval.
        nextRefresh = refresher == .sbc ? now + interval / 2 : nil
    }

    /// When the session ends without a refresh: for the SBC as refresher, the interval itself;
    /// for the peer, RFC 4028 §10's margin (a third of the interval, at most 32 s) before it,
    /// so that the BYE goes out before the peer's own idea of the session ends.
    var expiry: Duration {
        guard refresher == .peer else { return refreshedAt + interval }
        return refreshedAt + interval - min(.seconds(32), interval / 3)
    }

    /// When the B2BUA must look at this timer again.
    var deadline: Duration {
        guard refreshing == nil, let nextRefresh else { return expiry }
        return min(nextRefresh, expiry)
    }

    func due(at now: Duration) -> Due? {
        if now >= expiry { return .expire }
        if refreshing == nil, let nextRefresh, now >= nextRefresh { return .refresh }
        return nil
    }

    /// The SBC's refresh failed without ending the dialog (a 5xx, say): one more try halfway
    /// to the expiry, unless that leaves less than a second.
    mutating func refreshFailed(now: Duration) {
        refreshing = nil
        let next = now + (expiry - now) / 2
        nextRefresh = expiry - next >= .seconds(1) ? next : nil
    }

    /// The SBC's refresh crossed one of the peer's (491): it tries again at `retry`.
    mutating func refreshCrossed(retry: Duration) {
        refreshing = nil
        nextRefresh = retry < expiry ? retry : nil
    }

    /// A refresh is put off (another offer is in flight on the call) until `later`.
    mutating func postpone(until later: Duration) {
        nextRefresh = later < expiry ? later : nil
    }
}
