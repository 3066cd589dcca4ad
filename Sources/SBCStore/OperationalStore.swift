import Foundation
import Logging

/// Persists carrier health (trunk state), operator actions on groups and the audit log to the
/// SBC's state database, on a dedicated writer thread.
///
/// State changes happen on the signalling thread (a 503 with Retry-After, a passive-health
/// trip) and must not wait for disk, so `save` and `append` only enqueue, like
/// `CallRecordStore.record(_:)`; one thread ("sbc-state", `StoreWriterThread`) owns the write
/// connection and applies the queue in order, one transaction per batch. A separate thread
/// from the CDR writer so a CDR backlog never delays a state write; both connections commit to
/// the same WAL file, serialised by SQLite's write lock and busy timeout.
///
/// Reads are synchronous, each on its own read-only connection (`OperationalQuery`): they are
/// for start-up restore and the admin thread, never the signalling thread. docs/STATE.md says
/// what is restored after a restart.
public final class OperationalStore: Sendable {
    /// Default bound on writes accepted but not yet written. State writes are rare; the bound
    /// only matters when the disk hangs, and then dropping beats growing memory without end.
    public static let defaultCapacity = 10_000

    /// The SQLite file, or the PostgreSQL database's URL (without a password).
    public let path: String
    private let reads: StoreReads
    private let writer: StoreWriterThread<OperationalWrite>
    private var queue: StoreQueue<OperationalWrite> { writer.queue }

    /// Opens (creating directories and the file as needed) and migrates the state database on
    /// the caller's thread, so a bad path or schema fails at start-up; then starts ONE writer
    /// thread for state and audit writes, like `CallRecordStore`: callers on the signalling
    /// thread never wait for disk.
    ///
    /// - Parameter node: this node's name, written into audit lines and operator decisions.
    public init(path: String, logger: Logger, capacity: Int = OperationalStore.defaultCapacity,
                node: String? = nil) throws(SQLiteError) {
        self.path = path
        reads = .sqlite(path: path)
        writer = try StoreWriterThread(path: path, name: "sbc-state", label: "state", metadataKey: "state_db",
                                       capacity: capacity, logger: logger) { database throws(SQLiteError) in
            try OperationalWriter(database: database, node: node)
        }
    }

    /// The state of node `node` in a PostgreSQL database shared by a cluster: trunk states are
    /// this node's own rows, operator decisions and the audit log are shared. Migrates on the
    /// caller's thread, like `CallRecordStore.init(postgres:node:logger:capacity:)`.
    public init(postgres endpoint: PostgresEndpoint, node: String, logger: Logger,
                capacity: Int = OperationalStore.defaultCapacity) throws(StoreError) {
        path = endpoint.description
        writer = try StoreWriterThread(postgres: endpoint, name: "sbc-state", label: "state", metadataKey: "state_db",
                                       capacity: capacity, logger: logger) { session in
            PostgresOperationalWriter(session: session, node: node)
        }
        reads = .postgres(PostgresReader(session: PostgresSession(endpoint: endpoint, logger: logger)), node: node)
    }

    deinit { close() }

    // MARK: - Writes (non-blocking, any thread)

    /// Queues an upsert of the trunk's row (last save wins) and returns at once. `updated_at`
    /// is stamped now, on the caller's thread.
    public func save(_ record: TrunkStateRecord) {
        queue.enqueue(.trunk(record, updatedAt: Self.now()))
    }

    /// Queues an upsert of the group's row and returns at once.
    public func save(_ record: GroupStateRecord) {
        queue.enqueue(.group(record, updatedAt: Self.now()))
    }

    /// Queues an operator's lock or unlock of a trunk as cluster-wide intent and returns at once.
    public func save(_ record: TrunkLockRecord) {
        queue.enqueue(.trunkLock(record))
    }

    /// Queues an audit entry and returns at once; the database assigns its `id`.
    public func append(_ entry: AuditEntry) {
        queue.enqueue(.audit(entry))
    }

    /// Queues an upsert of one activation version (created, applied or cancelled) and returns at once.
    public func save(_ record: ActivationRecord) {
        queue.enqueue(.activation(record))
    }

    /// Queues an upsert of a DID validation run's row and returns at once.
    public func save(_ record: ValidationRunRecord) {
        queue.enqueue(.validationRun(record))
    }

    /// Queues one DID's validation result and returns at once.
    public func append(_ record: ValidationResultRecord) {
        queue.enqueue(.validationResult(record))
    }

    /// Queues marking runs left `running` by a stopped process as `interrupted`.
    public func interruptValidationRuns() {
        queue.enqueue(.interruptValidationRuns)
    }

    /// The newest validation run of `trunk` with its per-DID results; nil when never validated.
    /// Sees only committed writes: `flush()` first to read your own.
    public func latestValidation(trunk: String) throws(StoreError) -> ValidationRunRecord? {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in try ValidationSchema.latest(trunk: trunk, path: path) }
        case .postgres(let reader, _):
            return try reader.read { session throws(StoreError) in
                let trunkParameter = PostgresParameters()
                trunkParameter.bind(trunk, at: 1)
                guard var run = try PostgresSchema.rows(session, ValidationSchema.selectLatest, trunkParameter,
                                                        decode: ValidationSchema.run).first
                else { return nil }
                let runParameter = PostgresParameters()
                runParameter.bind(run.run, at: 1)
                run.results = try PostgresSchema.rows(session, ValidationSchema.selectResults, runParameter,
                                                      decode: ValidationSchema.result)
                return run
            }
        }
    }

    /// The newest finished validation run of every trunk (without results), to restore what
    /// `require_validation` is judged against.
    public func latestFinishedValidations() throws(StoreError) -> [ValidationRunRecord] {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in try ValidationSchema.latestFinished(path: path) }
        case .postgres(let reader, _):
            return try reader.rows(ValidationSchema.selectLatestFinished, decode: ValidationSchema.run)
        }
    }

    /// Blocks until every write queued before this call has been committed (or has failed), or
    /// `timeout` has passed (while a PostgreSQL store is away the writes are held, and a reader
    /// such as the admin API must not wait for its return). Returns whether they were.
    /// For tests, shutdown and the admin thread: never call it on the signalling thread.
    @discardableResult
    public func flush(timeout: Duration? = nil) -> Bool {
        queue.waitUntilCompleted(timeout: timeout)
    }

    /// Writes what is queued, stops the writer thread and closes its connection. Idempotent
    /// and safe from several threads; later writes are counted as dropped. Reads keep working
    /// (they open their own connections).
    public func close() {
        writer.stop()
    }

    // MARK: - Reads (synchronous; start-up and admin thread)

    /// Every trunk's last saved state (this node's view), by trunk name: what to restore at start-up.
    public func loadTrunkStates() throws(StoreError) -> [TrunkStateRecord] {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in try OperationalQuery.trunkStates(path: path) }
        case .postgres(let reader, let node):
            let parameters = PostgresParameters()
            parameters.bind(node, at: 1)
            return try reader.rows(OperationalSchema.selectNodeTrunk, parameters, decode: OperationalSchema.trunkState)
        }
    }

    /// Every group's last saved operator state, by group name.
    public func loadGroupStates() throws(StoreError) -> [GroupStateRecord] {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in try OperationalQuery.groupStates(path: path) }
        case .postgres(let reader, _):
            return try reader.rows(OperationalSchema.selectGroups, decode: OperationalSchema.groupState)
        }
    }

    /// Every stored activation version of every group, by group then version: what to restore
    /// at start-up (history and queued swaps).
    public func loadActivations() throws(StoreError) -> [ActivationRecord] {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in try ActivationSchema.all(path: path) }
        case .postgres(let reader, _):
            return try reader.rows(ActivationSchema.select, decode: ActivationSchema.record)
        }
    }

    /// The cluster's operator decisions as stored (PostgreSQL only; nil with SQLite, where the
    /// node's own restored state is the whole truth): applied at start-up before the first call.
    public func loadClusterDecisions() throws(StoreError) -> ClusterDecisions? {
        guard case .postgres(let reader, _) = reads else { return nil }
        return try reader.read { session throws(StoreError) in try PostgresSchema.decisions(session) }
    }

    /// Audit entries strictly after `since` (nil: from the first), oldest first, at most
    /// `limit`. Sees only committed entries: `flush()` first to read your own writes.
    public func audit(since: Double?, limit: Int) throws(StoreError) -> [AuditEntry] {
        switch reads {
        case .sqlite(let path):
            return try StoreReads.local { () throws(SQLiteError) in
                try OperationalQuery.audit(path: path, since: since, limit: limit)
            }
        case .postgres(let reader, _):
            guard limit > 0 else { return [] }
            let parameters = PostgresParameters()
            parameters.bind(since ?? -Double.infinity, at: 1)
            parameters.bind(limit, at: 2)
            return try reader.rows(OperationalSchema.selectAudit, parameters, decode: OperationalSchema.auditEntry)
        }
    }

    // MARK: - Counters

    /// Writes committed to the database.
    public var written: Int { queue.counters.written }
    /// Writes refused because the queue was full or the store closed.
    public var dropped: Int { queue.counters.dropped }
    /// Writes lost because their batch's transaction failed (logged by the writer).
    public var failed: Int { queue.counters.failed }
    /// Writes accepted but not yet committed.
    public var backlog: Int { queue.counters.backlog }
    /// All of the above at one instant (one lock), for metrics.
    public var counters: StoreCounters { queue.counters }
    /// False while the writer holds writes for a database it cannot reach.
    public var reachable: Bool { queue.counters.reachable }

    /// Test hook: stall the writer as a hung disk would.
    func suspendWriter() { queue.setSuspended(true) }
    func resumeWriter() { queue.setSuspended(false) }

    private static func now() -> Double { Date().timeIntervalSince1970 }
}
