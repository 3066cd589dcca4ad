/// Applies batches of `OperationalWrite`s on the state writer thread with reused prepared
/// statements, one transaction per batch.
///
/// State writes are rare (trunk transitions, operator actions), but a flapping trunk or a
/// group-wide failover produces bursts; batching them costs one WAL commit per burst. Owns its
/// connection; confined to the writer thread.
final class OperationalWriter: SQLiteBatchWriter {
    typealias Element = OperationalWrite
    let database: SQLiteDatabase
    /// This node's name, written into audit lines and operator decisions.
    private let node: String?
    private let upsertTrunk: SQLiteStatement
    private let upsertGroup: SQLiteStatement
    private let upsertTrunkLock: SQLiteStatement
    private let insertAudit: SQLiteStatement
    private let upsertActivation: SQLiteStatement
    private let validation: ValidationStatements

    init(database: SQLiteDatabase, node: String?) throws(SQLiteError) {
        self.database = database
        self.node = node
        upsertTrunk = try database.prepare(OperationalSchema.upsertTrunk)
        upsertGroup = try database.prepare(OperationalSchema.upsertGroup)
        upsertTrunkLock = try database.prepare(OperationalSchema.upsertTrunkLock)
        insertAudit = try database.prepare(OperationalSchema.insertAudit)
        upsertActivation = try database.prepare(ActivationSchema.upsert)
        validation = try ValidationStatements(database: database)
    }

    var statements: [SQLiteStatement] {
        [upsertTrunk, upsertGroup, upsertTrunkLock, insertAudit, upsertActivation] + validation.all
    }

    func apply(_ item: OperationalWrite) throws(SQLiteError) {
        let statement: SQLiteStatement
        switch item {
        case .trunk(let record, let updatedAt):
            statement = upsertTrunk
            try OperationalSchema.bind(record, updatedAt: updatedAt, node: nil, to: statement)
        case .group(let record, let updatedAt):
            statement = upsertGroup
            try OperationalSchema.bind(record, updatedAt: updatedAt, node: node, to: statement)
        case .trunkLock(let record):
            statement = upsertTrunkLock
            try OperationalSchema.bind(record, node: node, to: statement)
        case .audit(let entry):
            statement = insertAudit
            try OperationalSchema.bind(entry, node: node, to: statement)
        case .activation(let record):
            statement = upsertActivation
            try ActivationSchema.bind(record, to: statement)
        case .validationRun, .validationResult, .interruptValidationRuns:
            _ = try validation.apply(item)
            return
        }
        defer { statement.reset() }
        try statement.step()
    }
}
