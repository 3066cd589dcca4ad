extension B2BUA {
    /// Whether `address` on `zone` is a configured trunk's (the ingress ACL), for the driver's
    /// checks that run before a message is parsed: per-source rate limits and connection policy
    /// for strangers.
    public func isTrunkSource(zone: String, address: String) -> Bool {
        routing.sourceTrunk(zone: zone, address: address) != nil
    }
}
