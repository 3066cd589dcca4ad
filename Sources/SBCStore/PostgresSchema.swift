/// The state schema on PostgreSQL: `StateSchema.migrations` rewritten by `SQLDialect`, with the
/// version kept in a one-row table, and the reads the stores and the cluster listener run.
///
/// Several nodes start against one database, so migrating takes a transaction-scoped advisory
/// lock first: whichever node comes first upgrades the schema in one transaction (PostgreSQL's
/// DDL is transactional), the others wait and then find nothing to do. A database from a newer
/// SBC is refused, not touched, as with SQLite files.
enum PostgresSchema {
    /// Arbitrary, fixed: the advisory lock key all SwiftSBC nodes agree on.
    static let migrationLock = 0x5B_C0_5060

    /// Brings the database up to date; returns the version it is at.
    @discardableResult
    static func migrate(_ session: PostgresSession, migrations: [String] = StateSchema.migrations)
        throws(StoreError) -> Int
    {
        var version = 0
        try session.transaction { () throws(StoreError) in
            try session.query("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try session.query("CREATE TABLE IF NOT EXISTS sbc_schema_version (version BIGINT NOT NULL)")
            let rows = try session.query("SELECT version FROM sbc_schema_version")
            if let row = rows.first {
                version = PostgresStoreRow(row).int(at: 0)
            } else {
                try session.query("INSERT INTO sbc_schema_version (version) VALUES (0)")
            }
            guard version <= migrations.count else {
                throw .refused("the database is at schema version \(version), newer than this SBC's "
                    + "\(migrations.count): upgrade the SBC, do not point an older one at it")
            }
            for (index, migration) in migrations.enumerated() where index >= version {
                for statement in SQLDialect.statements(migration) {
                    try session.query(SQLDialect.postgres(statement))
                }
            }
            if version < migrations.count {
                let parameters = PostgresParameters()
                parameters.bind(migrations.count, at: 1)
                try session.query("UPDATE sbc_schema_version SET version = $1", parameters)
                version = migrations.count
            }
        }
        return version
    }

    /// Every row of `sql` (SQLite text, rewritten here), decoded by `decode`.
    static func rows<Record>(_ session: PostgresSession, _ sql: String, _ parameters: PostgresParameters? = nil,
                             decode: (PostgresStoreRow) -> Record) throws(StoreError) -> [Record] {
        try session.query(SQLDialect.postgres(sql), parameters).map { decode(PostgresStoreRow($0)) }
    }

    /// The operator decisions every node of a cluster applies, as stored now.
    static func decisions(_ session: PostgresSession) throws(StoreError) -> ClusterDecisions {
        ClusterDecisions(
            trunkLocks: try rows(session, OperationalSchema.selectTrunkLocks, decode: OperationalSchema.trunkLock),
            groups: try rows(session, OperationalSchema.selectGroups, decode: OperationalSchema.groupState),
            activations: try rows(session, ActivationSchema.select, decode: ActivationSchema.record))
    }
}
