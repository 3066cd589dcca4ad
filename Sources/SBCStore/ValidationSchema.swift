/// The statements on `validation_runs` and `validation_results` (the state schema's migration
/// that creates them; docs/STATE.md).
enum ValidationSchema {
    /// A run's row is written when it starts and rewritten when it ends.
    static let upsertRun = """
        INSERT INTO validation_runs (run_id, trunk, state, passed, dids, actor, reason, started_at, finished_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        ON CONFLICT (run_id) DO UPDATE SET
            state = excluded.state, passed = excluded.passed, finished_at = excluded.finished_at
        """

    static let insertResult = """
        INSERT INTO validation_results (run_id, did, status, reason, first_response_ms, verdict, started_at, ended_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    static let runColumns = "run_id, trunk, state, passed, dids, actor, reason, started_at, finished_at"

    /// The newest run of a trunk (`?1`).
    static let selectLatest = "SELECT \(runColumns) FROM validation_runs WHERE trunk = ?1 ORDER BY started_at DESC, run_id DESC LIMIT 1"

    /// The newest finished run of every trunk: what `require_validation` is judged against.
    static let selectLatestFinished = """
        SELECT \(runColumns) FROM validation_runs AS r WHERE state = 'finished' AND finished_at = (
            SELECT MAX(finished_at) FROM validation_runs WHERE trunk = r.trunk AND state = 'finished')
        """

    static let selectResults = """
        SELECT run_id, did, status, reason, first_response_ms, verdict, started_at, ended_at
        FROM validation_results WHERE run_id = ?1 ORDER BY id
        """

    /// Runs left `running` by a process that stopped: marked interrupted at start-up.
    static let interruptRunning = "UPDATE validation_runs SET state = 'interrupted' WHERE state = 'running'"

    static func bind<Parameters: StoreParameters>(_ record: ValidationRunRecord, to statement: Parameters)
        throws(Parameters.Failure)
    {
        try statement.bind(record.run, at: 1)
        try statement.bind(record.trunk, at: 2)
        try statement.bind(record.state.rawValue, at: 3)
        try statement.bind(record.passed.map { $0 ? 1 : 0 }, at: 4)
        try statement.bind(record.dids, at: 5)
        try statement.bind(record.actor, at: 6)
        try statement.bind(record.reason, at: 7)
        try statement.bind(record.startedAt, at: 8)
        try statement.bind(record.finishedAt, at: 9)
    }

    static func bind<Parameters: StoreParameters>(_ record: ValidationResultRecord, to statement: Parameters)
        throws(Parameters.Failure)
    {
        try statement.bind(record.run, at: 1)
        try statement.bind(record.did, at: 2)
        try statement.bind(record.status, at: 3)
        try statement.bind(record.reason, at: 4)
        try statement.bind(record.firstResponseMs, at: 5)
        try statement.bind(record.verdict, at: 6)
        try statement.bind(record.startedAt, at: 7)
        try statement.bind(record.endedAt, at: 8)
    }

    /// The newest run of `trunk` with its results, or nil when it was never validated.
    static func latest(trunk: String, path: String) throws(SQLiteError) -> ValidationRunRecord? {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(selectLatest)
        defer { rows.finalize() }
        try rows.bind(trunk, at: 1)
        guard try rows.step() else { return nil }
        var run = self.run(rows)
        run.results = try results(of: run.run, in: database)
        return run
    }

    /// The newest finished run of every trunk, without results.
    static func latestFinished(path: String) throws(SQLiteError) -> [ValidationRunRecord] {
        let database = try SQLiteDatabase(path: path, mode: .readOnly)
        defer { database.close() }
        let rows = try database.prepare(selectLatestFinished)
        defer { rows.finalize() }
        var runs: [ValidationRunRecord] = []
        while try rows.step() { runs.append(run(rows)) }
        return runs
    }

    static func run(_ rows: some StoreRow) -> ValidationRunRecord {
        ValidationRunRecord(
            run: rows.string(at: 0), trunk: rows.string(at: 1),
            state: ValidationRunRecord.State(rawValue: rows.string(at: 2)) ?? .interrupted,
            passed: rows.optionalInt(at: 3).map { $0 != 0 }, dids: rows.int(at: 4), actor: rows.string(at: 5),
            reason: rows.string(at: 6), startedAt: rows.double(at: 7), finishedAt: rows.optionalDouble(at: 8))
    }

    private static func results(of run: String, in database: SQLiteDatabase) throws(SQLiteError) -> [ValidationResultRecord] {
        let rows = try database.prepare(selectResults)
        defer { rows.finalize() }
        try rows.bind(run, at: 1)
        var results: [ValidationResultRecord] = []
        while try rows.step() { results.append(result(rows)) }
        return results
    }

    static func result(_ rows: some StoreRow) -> ValidationResultRecord {
        ValidationResultRecord(
            run: rows.string(at: 0), did: rows.string(at: 1), status: rows.optionalInt(at: 2),
            reason: rows.optionalString(at: 3) ?? "", firstResponseMs: rows.optionalDouble(at: 4),
            verdict: rows.string(at: 5), startedAt: rows.double(at: 6), endedAt: rows.double(at: 7))
    }
}

/// The writer thread's prepared statements for validation writes (`OperationalWriter`).
struct ValidationStatements {
    let upsertRun: SQLiteStatement
    let insertResult: SQLiteStatement
    let interrupt: SQLiteStatement

    init(database: SQLiteDatabase) throws(SQLiteError) {
        upsertRun = try database.prepare(ValidationSchema.upsertRun)
        insertResult = try database.prepare(ValidationSchema.insertResult)
        interrupt = try database.prepare(ValidationSchema.interruptRunning)
    }

    var all: [SQLiteStatement] { [upsertRun, insertResult, interrupt] }

    /// Applies one validation write; false for any other write.
    func apply(_ item: OperationalWrite) throws(SQLiteError) -> Bool {
        let statement: SQLiteStatement
        switch item {
        case .validationRun(let record):
            statement = upsertRun
            defer { statement.reset() }
            try ValidationSchema.bind(record, to: statement)
            try statement.step()
        case .validationResult(let record):
            statement = insertResult
            defer { statement.reset() }
            try ValidationSchema.bind(record, to: statement)
            try statement.step()
        case .interruptValidationRuns:
            defer { interrupt.reset() }
            try interrupt.step()
        default:
            return false
        }
        return true
    }
}
