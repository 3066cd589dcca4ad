/// Applies batches of `OperationalWrite`s on the state writer thread with three reused prepared
/// statements, one transaction per batch.
///
/// State writes are rare (trunk transitions, operator actions), but a flapping trunk or a
/// group-wide failover produces bursts; batching them costs one WAL commit per burst. Owns its
/// connection; confined to the writer thread.
final class OperationalWriter: StoreBatchWriter {
    let database: SQLiteDatabase
    private let upsertTrunk: SQLiteStatement
    private let upsertGroup: SQLiteStatement
    private let insertAudit: SQLiteStatement
    private let upsertActivation: SQLiteStatement
    private let validation: ValidationStatements

    init(database: SQLiteDatabase) throws(SQLiteError) {
        self.database = database
        upsertTrunk = try database.prepare(OperationalSchema.upsertTrunk)
        upsertGroup = try database.prepare(OperationalSchema.upsertGroup)
        insertAudit = try database.prepare(OperationalSchema.insertAudit)
        upsertActivation = try database.prepare(ActivationSchema.upsert)
        validation = try ValidationStatements(database: database)
    }

    var statements: [SQLiteStatement] { [upsertTrunk, upsertGroup, insertAudit, upsertActivation] + validation.all }

    func apply(_ item: OperationalWrite) throws(SQLiteError) {
        switch item {
        case .trunk(let record, let updatedAt):
            defer { upsertTrunk.reset() }
            try upsertTrunk.bind(record.trunk, at: 1)
            try upsertTrunk.bind(record.state, at: 2)
            try upsertTrunk.bind(record.cause, at: 3)
            try upsertTrunk.bind(record.detail, at: 4)
            try upsertTrunk.bind(record.since, at: 5)
            try upsertTrunk.bind(record.lockedBy, at: 6)
            try upsertTrunk.bind(record.lockReason, at: 7)
            try upsertTrunk.bind(record.quarantineUntil, at: 8)
            try upsertTrunk.bind(record.awaitingApproval ? 1 : 0, at: 9)
            try upsertTrunk.bind(updatedAt, at: 10)
            try upsertTrunk.step()
        case .group(let record, let updatedAt):
            defer { upsertGroup.reset() }
            try upsertGroup.bind(record.group, at: 1)
            try upsertGroup.bind(record.forcedFailover ? 1 : 0, at: 2)
            try upsertGroup.bind(record.actor, at: 3)
            try upsertGroup.bind(record.reason, at: 4)
            try upsertGroup.bind(updatedAt, at: 5)
            try upsertGroup.step()
        case .audit(let entry):
            defer { insertAudit.reset() }
            try insertAudit.bind(entry.at, at: 1)
            try insertAudit.bind(entry.subject, at: 2)
            try insertAudit.bind(entry.kind, at: 3)
            try insertAudit.bind(entry.fromState, at: 4)
            try insertAudit.bind(entry.toState, at: 5)
            try insertAudit.bind(entry.cause, at: 6)
            try insertAudit.bind(entry.detail, at: 7)
            try insertAudit.bind(entry.actor, at: 8)
            try insertAudit.step()
        case .activation(let record):
            defer { upsertActivation.reset() }
            try ActivationSchema.bind(record, to: upsertActivation)
            try upsertActivation.step()
        case .validationRun, .validationResult, .interruptValidationRuns:
            _ = try validation.apply(item)
        }
    }
}
