import B2BUA

extension SignallingServer {
    /// DTMF digits the B2BUA counted since the last message, into `sbc_dtmf_events_total`.
    func recordDTMFCounts() {
        for count in b2bua.takeDTMFCounts() {
            metrics.dtmfEvent(trunk: count.trunk, direction: count.direction.rawValue, method: count.method.rawValue)
        }
    }
}
