import SIPCore

extension B2BUA {
    /// Every client transaction still sending to `destination` ends as a transport error (RFC
    /// 3261 18.4, 17.1.4): a BYE, re-INVITE, OPTIONS or relayed request to a peer whose port is
    /// closed stops retransmitting at once and its outcome is a 503, which is what failover and
    /// the caller's answer key on. Why: ICMP port unreachable used to end only initial INVITEs and
    /// probes, and a BYE to a dead carrier went out five more times (issue 14).
    mutating func endTransactions(to destination: SIPEndpoint, now: Duration) {
        let keys = transactions.clientKeys { $0.destination.sameTransportAddress(as: destination) }
        for key in keys { handle(transactions.transportFailed(key, now: now), now: now) }
    }
}
