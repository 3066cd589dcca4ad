import AdminAPI
import SBCStore
import SBCSystem

/// The admin API's view of the SBC. Every call hops onto the signalling loop with
/// `EventLoop.execute` (the only thread-safe entry into the loop) and resumes when the loop has
/// answered, so operator commands are serialised with SIP traffic and never race it.
final class AdminBridge: AdminBackend, @unchecked Sendable {
    // `server` is only ever touched inside `onLoop`, on the loop thread.
    private unowned let server: SignallingServer
    private let loop: EventLoop
    private let state: OperationalStore

    init(server: SignallingServer, loop: EventLoop, state: OperationalStore) {
        self.server = server
        self.loop = loop
        self.state = state
    }

    /// How long a read waits for the writes queued before it: with the database away they are
    /// held, and the read answers from what is committed rather than hang.
    static let readFlushTimeout: Duration = .seconds(1)

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (SignallingServer) -> T) async -> T {
        let target = UncheckedServer(server: server)
        return await withCheckedContinuation { continuation in
            loop.execute { continuation.resume(returning: body(target.server)) }
        }
    }

    func trunks() async -> [TrunkStatus] { await onLoop { $0.trunkStatuses() } }
    func trunk(named name: String) async -> TrunkStatus? { await onLoop { $0.trunkStatus(named: name) } }

    func lock(trunk: String, reason: String, actor: String) async throws(AdminError) -> TrunkStatus {
        try await onLoop { $0.operatorCommand(.lock(trunk: trunk), reason: reason, actor: actor) }.get()
    }

    func unlock(trunk: String, reason: String, actor: String) async throws(AdminError) -> TrunkStatus {
        try await onLoop { $0.operatorCommand(.unlock(trunk: trunk), reason: reason, actor: actor) }.get()
    }

    func forceFailover(group: String, reason: String, actor: String) async throws(AdminError) -> GroupStatus {
        try await onLoop { $0.groupCommand(group: group, force: true, reason: reason, actor: actor) }.get()
    }

    func approveFailBack(group: String, reason: String, actor: String) async throws(AdminError) -> GroupStatus {
        try await onLoop { $0.groupCommand(group: group, force: false, reason: reason, actor: actor) }.get()
    }

    func nodes() async -> [NodeStatus] { await onLoop { $0.nodeStatuses() } }
    func certificates() async -> [CertificateStatus] { await onLoop { $0.certificateStatuses() } }

    func reloadTLS(reason: String, actor: String) async throws(AdminError) -> [CertificateStatus] {
        try await onLoop { server -> Result<[CertificateStatus], AdminError> in
            if let error = server.reloadTLS(actor: actor, reason: reason) { return .failure(.invalid("\(error)")) }
            return .success(server.certificateStatuses())
        }.get()
    }

    func calls() async -> [CallStatus] { await onLoop { $0.callStatuses() } }
    func call(id: String) async -> CallStatus? { await onLoop { $0.callStatus(id: id) } }

    func hangUp(call id: String, reason: String, actor: String) async throws(AdminError) -> CallStatus {
        try await onLoop { $0.hangUp(call: id, reason: reason, actor: actor) }.get()
    }

    func reloadConfiguration(reason: String, actor: String) async throws(AdminError) -> ConfigReloadReport {
        await onLoop { $0.reloadConfiguration(actor: actor, reason: reason) }
    }

    func configurationStatus() async -> ConfigurationStatus? { await onLoop { $0.configurationStatus() } }

    func activation(group: String) async throws(ActivationRefusal) -> ActivationStatus {
        try await onLoop { $0.activationStatus(group: group) }.get()
    }

    func activationHistory(group: String) async throws(ActivationRefusal) -> [ActivationVersionStatus] {
        try await onLoop { $0.activationHistory(group: group) }.get()
    }

    func activate(group: String, member: String, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        try await onLoop { $0.activationCommand(.activate(member: member, force: force), group: group, reason: reason,
                                                actor: actor) }.get()
    }

    func rollbackActivation(group: String, to version: Int, force: Bool, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        try await onLoop { $0.activationCommand(.rollback(version: version, force: force), group: group, reason: reason,
                                                actor: actor) }.get()
    }

    func cancelQueuedActivation(group: String, reason: String, actor: String) async
        throws(ActivationRefusal) -> ActivationStatus
    {
        try await onLoop { $0.activationCommand(.cancel, group: group, reason: reason, actor: actor) }.get()
    }

    func validate(trunk: String, reason: String, actor: String) async throws(AdminError) -> ValidationRunStatus {
        try await onLoop { $0.startValidation(trunk: trunk, reason: reason, actor: actor) }.get()
    }

    /// The newest run as persisted (results are written as each DID decides), read on the admin thread.
    func validation(trunk: String) async throws(AdminError) -> ValidationRunStatus {
        guard await onLoop({ $0.configuration.trunks.contains { $0.name == trunk } }) else {
            throw .notFound("no trunk named \(trunk)")
        }
        state.flush(timeout: Self.readFlushTimeout)
        let record: ValidationRunRecord?
        do {
            record = try state.latestValidation(trunk: trunk)
        } catch {
            throw .unavailable("validation runs unreadable: \(error)")
        }
        guard let record else { throw .notFound("trunk \(trunk) has never been validated") }
        return ValidationMapping.status(record)
    }

    /// Read from the database on the admin thread: the audit trail is the persisted one.
    func audit(since: Double?, limit: Int) async throws(AdminError) -> [AuditRecord] {
        state.flush(timeout: Self.readFlushTimeout)
        do {
            return try state.audit(since: since, limit: limit).map {
                AuditRecord(at: $0.at, subject: $0.subject, kind: $0.kind, from: $0.fromState, to: $0.toState,
                            cause: $0.cause, detail: $0.detail, actor: $0.actor)
            }
        } catch {
            throw .unavailable("audit log unreadable: \(error)")
        }
    }
}

/// Carries the loop-confined server into the loop's own closure.
private struct UncheckedServer: @unchecked Sendable {
    let server: SignallingServer
}
