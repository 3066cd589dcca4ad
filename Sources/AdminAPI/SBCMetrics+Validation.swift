import Prometheus

extension SBCMetrics {
    /// `sbc_validation_calls_total{trunk,verdict}`: DID validation test calls by verdict
    /// (`reachable`, `unreachable`, `timeout`, `error`). Rare, so the registry's lookup per call
    /// is cheap enough.
    public func validationCall(trunk: String, verdict: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "validation", metricName: "calls",
                                             unitName: "total", helpText: "DID validation test calls, by verdict"),
            labels: [("trunk", trunk), ("verdict", verdict)]
        ).increment()
    }
}
