/// What the admin API needs from the SBC.
///
/// The signalling loop owns all trunk and call state and never takes a lock, so the admin API
/// (on Hummingbird's threads) never touches that state directly: it asks through this protocol,
/// whose implementation hops onto the loop (`EventLoop.execute`) or reads a published snapshot.
/// Keeping the surface this small lets the HTTP layer be tested with a fake.
public protocol AdminBackend: Sendable {
    /// Every configured trunk, in configuration order.
    func trunks() async -> [TrunkStatus]
    /// One trunk, or nil when no trunk has that name.
    func trunk(named name: String) async -> TrunkStatus?
    /// Takes a trunk out of selection until unlocked; `actor` is the admin token's name.
    func lock(trunk: String, reason: String, actor: String) async throws(AdminError) -> TrunkStatus
    /// Returns a locked trunk to selection (subject to its health).
    func unlock(trunk: String, reason: String, actor: String) async throws(AdminError) -> TrunkStatus
    /// Moves a trunk group's traffic off its preferred member(s) now.
    func forceFailover(group: String, reason: String, actor: String) async throws(AdminError) -> GroupStatus
    /// Allows a group configured for manual fail-back to return to its preferred member(s).
    func approveFailBack(group: String, reason: String, actor: String) async throws(AdminError) -> GroupStatus
    /// Audit records (state changes and operator actions), oldest first, at or after `since`.
    func audit(since: Double?, limit: Int) async throws(AdminError) -> [AuditRecord]
    /// Every watched TLS certificate with its time to expiry.
    /// This node, or every node of its cluster, with its calls and its view of each trunk.
    func nodes() async -> [NodeStatus]
    func certificates() async -> [CertificateStatus]
    /// Re-reads the TLS certificates, keys and CA files; established connections are kept. An
    /// unusable file is `.invalid` and leaves the previous certificates in place.
    func reloadTLS(reason: String, actor: String) async throws(AdminError) -> [CertificateStatus]
    /// Every live call, oldest first, without legs, media or timers.
    func calls() async -> [CallStatus]
    /// One live call with its legs, media and timers, by its `id` (as text) or the Call-ID of any
    /// of its legs; nil when no live call matches.
    func call(id: String) async -> CallStatus?
    /// Ends a live call: BYE with a `Reason` to both legs (CANCEL and 487 if still ringing),
    /// audited with `actor` and `reason`. `.notFound` for no such call, `.conflict` when it is
    /// already ending. Answers the call as it was, with `state` `ended` and `endedBy`.
    func hangUp(call id: String, reason: String, actor: String) async throws(AdminError) -> CallStatus
    /// DID validation of a trunk (defaults in AdminBackend+Validation.swift, docs/VALIDATION.md).
    func validate(trunk: String, reason: String, actor: String) async throws(AdminError) -> ValidationRunStatus
    func validation(trunk: String) async throws(AdminError) -> ValidationRunStatus
    /// Re-reads the configuration file and applies what can change live (docs/RELOAD.md); a
    /// refused file is a report with `result` `refused`. Default: `.unavailable` (AdminBackend+Config.swift).
    func reloadConfiguration(reason: String, actor: String) async throws(AdminError) -> ConfigReloadReport
    /// The running configuration's generation and digest; default nil.
    func configurationStatus() async -> ConfigurationStatus?
    /// Trunk group activations (AdminBackend+Activation.swift has the defaults, docs/ACTIVATION.md).
    func activation(group: String) async throws(ActivationRefusal) -> ActivationStatus
    func activationHistory(group: String) async throws(ActivationRefusal) -> [ActivationVersionStatus]
    func activate(group: String, member: String, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    func rollbackActivation(group: String, to version: Int, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    func cancelQueuedActivation(group: String, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
}
