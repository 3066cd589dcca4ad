/// The statements on `group_activations` (the state schema's migration that creates it).
enum ActivationSchema {
    /// A version's row is written when it is created and rewritten when its state changes
    /// (queued -> applied or cancelled); the other columns never change. Two nodes of a cluster
    /// numbering a version at the same moment for different members: the first row stays, and
    /// the other node adopts it on its next reconcile (docs/CLUSTER.md).
    static let upsert = """
        INSERT INTO group_activations (group_name, version, first_member, reason, actor, requested_at, applied_at,
                                       rollback_of, forced, state, draining, threshold)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
        ON CONFLICT (group_name, version) DO UPDATE SET
            applied_at = excluded.applied_at, state = excluded.state
        WHERE group_activations.first_member = excluded.first_member
        """

    /// Columns 0...11, in `ActivationRecord` order.
    static let select = """
        SELECT group_name, version, first_member, reason, actor, requested_at, applied_at, rollback_of, forced,
               state, draining, threshold
        FROM group_activations ORDER BY group_name, version
        """

    static func bind<Parameters: StoreParameters>(_ record: ActivationRecord, to statement: Parameters)
        throws(Parameters.Failure)
    {
        try statement.bind(record.group, at: 1)
        try statement.bind(record.version, at: 2)
        try statement.bind(record.firstMember, at: 3)
        try statement.bind(record.reason, at: 4)
        try statement.bind(record.actor, at: 5)
        try statement.bind(record.requestedAt, at: 6)
        try statement.bind(record.appliedAt, at: 7)
        try statement.bind(record.rollbackOf, at: 8)
        try statement.bind(record.forced ? 1 : 0, at: 9)
        try statement.bind(record.state.rawValue, at: 10)
        try statement.bind(record.draining, at: 11)
        try statement.bind(record.threshold, at: 12)
    }

    /// Every stored version of every group, by group then version.
    static func all(path: String) throws(SQLiteError) -> [ActivationRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(select)
        defer { rows.finalize() }
        var records: [ActivationRecord] = []
        while try rows.step() { records.append(record(rows)) }
        return records
    }

    static func record(_ rows: some StoreRow) -> ActivationRecord {
        ActivationRecord(
            group: rows.string(at: 0), version: rows.int(at: 1), firstMember: rows.string(at: 2),
            reason: rows.string(at: 3), actor: rows.string(at: 4), requestedAt: rows.double(at: 5),
            appliedAt: rows.optionalDouble(at: 6), rollbackOf: rows.optionalInt(at: 7), forced: rows.int(at: 8) != 0,
            state: ActivationRecord.State(rawValue: rows.string(at: 9)) ?? .cancelled,
            draining: rows.optionalString(at: 10), threshold: rows.optionalInt(at: 11))
    }
}
