/// Trunk group activations through the admin API (docs/ACTIVATION.md). Default implementations
/// so that backends without trunk groups (test fakes, tools) need not provide them.
extension AdminBackend {
    /// The group's activation: current version, queued swap, guards and candidate order.
    public func activation(group: String) async throws(ActivationRefusal) -> ActivationStatus {
        throw Self.activationsUnsupported
    }

    /// Every applied, queued and cancelled version, oldest first.
    public func activationHistory(group: String) async throws(ActivationRefusal) -> [ActivationVersionStatus] {
        throw Self.activationsUnsupported
    }

    /// A new version making `member` first for new calls (or queued behind the drain check).
    public func activate(group: String, member: String, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        throw Self.activationsUnsupported
    }

    /// A new version equal to `version` (0: configuration order).
    public func rollbackActivation(group: String, to version: Int, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        throw Self.activationsUnsupported
    }

    /// Drops the queued swap.
    public func cancelQueuedActivation(group: String, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        throw Self.activationsUnsupported
    }

    private static var activationsUnsupported: ActivationRefusal {
        ActivationRefusal(status: 503, error: "unavailable", detail: "activations are not supported by this backend")
    }
}
