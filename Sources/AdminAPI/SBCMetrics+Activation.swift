import Prometheus

extension SBCMetrics {
    /// `sbc_overflow_calls_total{trunk}`: calls that reached a group's overflow destination
    /// because every member failed or was unselectable. Rare by design (an outage), so the
    /// registry's own lookup per call is cheap enough.
    public func overflowCall(trunk: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "overflow", metricName: "calls", unitName: "total",
                                             helpText: "Calls sent to a trunk group's overflow destination"),
            labels: [("trunk", trunk)]
        ).increment()
    }

    /// `sbc_group_activation_version{group}`: the activation version in effect (0: configuration
    /// order), so a dashboard shows when a group's order changed.
    public func setActivationVersion(group: String, version: Int) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "sbc", subsystem: "group", metricName: "activation_version",
                                             helpText: "Activation version in effect per trunk group (0 = configuration order)"),
            labels: [("group", group)]
        ).set(Double(version))
    }
}
