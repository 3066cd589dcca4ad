import Prometheus

extension SBCMetrics {
    /// `sbc_config_reloads_total{result}`: configuration reloads by outcome (`applied`,
    /// `unchanged`, `refused`), from SIGHUP or the admin API. Rare, so the registry's own
    /// lookup per reload is cheap enough.
    public func configReload(result: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "config", metricName: "reloads",
                                             unitName: "total", helpText: "Configuration reloads by outcome"),
            labels: [("result", result)]
        ).increment()
    }

    /// `sbc_config_generation`: 1 at start, +1 per reload that applied something.
    public func setConfigGeneration(_ generation: Int) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "config", metricName: "generation",
                                             helpText: "Generation of the running configuration")
        ).set(Int64(generation))
    }
}
