import Prometheus

extension SBCMetrics {
    /// `sbc_media_probe_total{trunk,result}`: media-path probes by result (`passed`, `no_media`,
    /// `call_failed`, `skipped`). A few a minute per probed trunk, so the registry's lookup per
    /// probe is cheap enough.
    public func mediaProbe(trunk: String, result: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "media", metricName: "probe",
                                             unitName: "total", helpText: "Media-path probe calls, by result"),
            labels: [("trunk", trunk), ("result", result)]
        ).increment()
    }
}
