import Prometheus

extension SBCMetrics {
    /// `sbc_trunk_active_calls{trunk}`: calls whose current attempt or established leg is on the
    /// trunk, as `GET /api/v1/trunks` reports in `counters.activeCalls`. Published once a second
    /// for every trunk (the registry's own lookup per trunk is cheap at that rate).
    public func setTrunkActiveCalls(trunk: String, count: Int) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "trunk", metricName: "active_calls",
                                             helpText: "Calls in progress on a trunk"),
            labels: [("trunk", trunk)]
        ).set(Int64(count))
    }
}
