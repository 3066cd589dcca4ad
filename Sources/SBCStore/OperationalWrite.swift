/// One queued write of `OperationalStore`: what the signalling thread hands to the state writer
/// thread.
///
/// One enum in one FIFO queue (rather than a queue per table) so the writer applies state
/// changes and their audit entries in exactly the order they happened: the restored state and
/// the audit trail never disagree about which change came last.
enum OperationalWrite: Sendable {
    /// Upsert of a trunk's row; `updatedAt` is when `save` was called, not when the row was
    /// written, so a backlog does not skew it.
    case trunk(TrunkStateRecord, updatedAt: Double)
    /// Upsert of a group's row (an operator's decision).
    case group(GroupStateRecord, updatedAt: Double)
    /// Upsert of a trunk's cluster-wide lock row (an operator's decision).
    case trunkLock(TrunkLockRecord)
    /// Insert of an audit line.
    case audit(AuditEntry)
    /// Upsert of one version of a group's activation.
    case activation(ActivationRecord)
    /// Upsert of a DID validation run's row (started, finished).
    case validationRun(ValidationRunRecord)
    /// Insert of one DID's result in a validation run.
    case validationResult(ValidationResultRecord)
    /// Runs a stopped process left `running` become `interrupted` (at start-up).
    case interruptValidationRuns
}

extension OperationalWrite {
    /// An operator decision the other nodes of a cluster must learn about (NOTIFY on commit).
    var isOperatorDecision: Bool {
        switch self {
        case .group, .trunkLock, .activation: true
        default: false
        }
    }
}
