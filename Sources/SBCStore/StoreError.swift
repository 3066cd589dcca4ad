/// Why a store could not read or commit, and so what a writer thread does with a batch.
///
/// The distinction is the whole point: a statement the database refuses (a constraint, a full
/// disk, a broken file) will be refused again, so the batch is counted as failed and dropped; a
/// database that cannot be reached (PostgreSQL restarting, the network to it cut) will take the
/// same batch later, so the writer keeps it and retries while new writes queue behind it, up to
/// the buffer.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node's SQLite file failed (never retried: a local file does not come back by waiting).
    case sqlite(SQLiteError)
    /// PostgreSQL refused the statement: retrying would fail the same way.
    case refused(String)
    /// PostgreSQL could not be reached or did not answer in time: retry.
    case unreachable(String)

    public var description: String {
        switch self {
        case .sqlite(let error): "\(error)"
        case .refused(let reason): "refused by the database: \(reason)"
        case .unreachable(let reason): "database unreachable: \(reason)"
        }
    }

    /// Whether the database is away rather than refusing: operator changes get 503, not 500.
    public var isUnreachable: Bool {
        if case .unreachable = self { return true }
        return false
    }
}
