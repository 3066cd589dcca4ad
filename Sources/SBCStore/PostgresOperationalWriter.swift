/// Applies batches of `OperationalWrite`s to the shared PostgreSQL database: the statements of
/// `OperationalWriter`, with a node's trunk state going to its own row of `node_trunk_state`
/// (health is per node) and a NOTIFY on channel `sbc_operator` in every batch that holds an
/// operator decision, so every node re-reads the decisions as soon as the batch commits.
final class PostgresOperationalWriter: StoreBatchWriter {
    /// The channel every node LISTENs on (`ClusterStateListener`).
    static let channel = "sbc_operator"

    private let session: PostgresSession
    private let node: String
    private static let upsertNodeTrunk = SQLDialect.postgres(OperationalSchema.upsertNodeTrunk)
    private static let upsertGroup = SQLDialect.postgres(OperationalSchema.upsertGroup)
    private static let upsertTrunkLock = SQLDialect.postgres(OperationalSchema.upsertTrunkLock)
    private static let insertAudit = SQLDialect.postgres(OperationalSchema.insertAudit)
    private static let upsertActivation = SQLDialect.postgres(ActivationSchema.upsert)
    private static let upsertRun = SQLDialect.postgres(ValidationSchema.upsertRun)
    private static let insertResult = SQLDialect.postgres(ValidationSchema.insertResult)
    private static let interruptRuns = SQLDialect.postgres(ValidationSchema.interruptRunning)
    private static let notify = "SELECT pg_notify('\(channel)', $1)"

    init(session: PostgresSession, node: String) {
        self.session = session
        self.node = node
    }

    func write(_ batch: [[OperationalWrite]]) throws(StoreError) {
        try session.transaction { () throws(StoreError) in
            var decided = false
            for chunk in batch {
                for item in chunk {
                    try apply(item)
                    decided = decided || item.isOperatorDecision
                }
            }
            if decided {
                let parameters = PostgresParameters()
                parameters.bind(node, at: 1)
                try session.query(Self.notify, parameters)
            }
        }
    }

    private func apply(_ item: OperationalWrite) throws(StoreError) {
        let parameters = PostgresParameters()
        let sql: String
        switch item {
        case .trunk(let record, let updatedAt):
            sql = Self.upsertNodeTrunk
            OperationalSchema.bind(record, updatedAt: updatedAt, node: node, to: parameters)
        case .group(let record, let updatedAt):
            sql = Self.upsertGroup
            OperationalSchema.bind(record, updatedAt: updatedAt, node: node, to: parameters)
        case .trunkLock(let record):
            sql = Self.upsertTrunkLock
            OperationalSchema.bind(record, node: node, to: parameters)
        case .audit(let entry):
            sql = Self.insertAudit
            OperationalSchema.bind(entry, node: node, to: parameters)
        case .activation(let record):
            sql = Self.upsertActivation
            ActivationSchema.bind(record, to: parameters)
        case .validationRun(let record):
            sql = Self.upsertRun
            ValidationSchema.bind(record, to: parameters)
        case .validationResult(let record):
            sql = Self.insertResult
            ValidationSchema.bind(record, to: parameters)
        case .interruptValidationRuns:
            // Runs carry no node: a node's start marks every node's running run interrupted
            // (docs/CLUSTER.md); validations are rare and operator-started.
            sql = Self.interruptRuns
        }
        try session.query(sql, parameters)
    }

    func close() { session.close() }
}
