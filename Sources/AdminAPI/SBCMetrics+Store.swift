import Prometheus

/// A store writer's cumulative counters, as the store reports them.
public struct StoreTotals: Sendable, Equatable {
    public var written: Int
    public var dropped: Int
    public var failed: Int
    public var backlog: Int
    public var reachable: Bool

    public init(written: Int, dropped: Int, failed: Int, backlog: Int, reachable: Bool) {
        self.written = written
        self.dropped = dropped
        self.failed = failed
        self.backlog = backlog
        self.reachable = reachable
    }
}

extension SBCMetrics {
    /// The store writers (`store` = `cdr`, `state`), published every second:
    /// - `sbc_store_writes_total{store, outcome=written|dropped|failed}`: `dropped` are writes lost
    ///   because the buffer (`store.buffer`) was full, the loss an outage of the database costs;
    /// - `sbc_store_backlog{store}`: writes held, growing while the database is away;
    /// - `sbc_store_reachable{store}`: 0 while the writer holds a batch it cannot commit.
    /// Returns the totals published before, so the caller can tell what changed.
    @discardableResult
    public func setStore(_ store: String, _ totals: StoreTotals) -> StoreTotals {
        let before = lastStore.withLock { last in
            defer { last[store] = totals }
            return last[store] ?? StoreTotals(written: 0, dropped: 0, failed: 0, backlog: 0, reachable: true)
        }
        let writes = MetricNameDescriptor(namespace: "sbc", metricName: "store_writes", unitName: "total",
                                          helpText: "Writes of CDRs, state and audit, by outcome")
        for (outcome, now, then) in [("written", totals.written, before.written), ("dropped", totals.dropped, before.dropped),
                                     ("failed", totals.failed, before.failed)] {
            let counter = registry.makeCounter(descriptor: writes, labels: [("store", store), ("outcome", outcome)])
            if now > then { counter.increment(by: Int64(now - then)) }
        }
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "sbc", metricName: "store_backlog", unitName: "", helpText: "Writes held, not yet committed"
        ), labels: [("store", store)]).set(Int64(totals.backlog))
        registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "sbc", metricName: "store_reachable", unitName: "",
            helpText: "1 while the store's database takes writes, 0 while they are held for it"
        ), labels: [("store", store)]).set(Int64(totals.reachable ? 1 : 0))
        return before
    }
}
