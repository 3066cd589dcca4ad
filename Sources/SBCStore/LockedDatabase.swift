/// A read-write connection that several threads may use, one at a time, behind a mutex.
///
/// `SQLiteDatabase` is opened `NOMUTEX` and belongs to one thread. A store that is `Sendable`
/// but does its I/O synchronously on whichever thread calls it (`IdempotencyStore`, used by the
/// admin API) holds its connection here, so the `@unchecked Sendable` is confined to this one
/// small type whose every access goes through the lock.
final class LockedDatabase: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Only touched inside `withDatabase`, under `lock`.
    private let database: SQLiteDatabase

    init(_ database: SQLiteDatabase) {
        self.database = database
    }

    /// Runs `body` with exclusive use of the connection. `body` must not keep the connection
    /// or its statements beyond the call.
    func withDatabase<Result, Failure: Error>(_ body: (SQLiteDatabase) throws(Failure) -> Result) throws(Failure) -> Result {
        try lock.withLock { () throws(Failure) -> Result in try body(database) }
    }

    func close() {
        lock.withLock { database.close() }
    }
}
