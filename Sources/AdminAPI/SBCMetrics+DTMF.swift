import Prometheus

extension SBCMetrics {
    /// `sbc_dtmf_events_total{trunk,direction,method}`: DTMF digits received from (`received`) or
    /// sent to (`sent`) a trunk, as RFC 4733 events (`rfc4733`) or SIP INFO (`info`). Digits
    /// are counted, never logged above debug nor written to CDRs (they may be card numbers).
    /// Rare (a few per call), so the registry's own lookup per digit is cheap enough.
    public func dtmfEvent(trunk: String, direction: String, method: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "dtmf", metricName: "events", unitName: "total",
                                             helpText: "DTMF digits received from or sent to a trunk, by method"),
            labels: [("trunk", trunk), ("direction", direction), ("method", method)]
        ).increment()
    }
}
