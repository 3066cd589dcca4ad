import CSBCSQLite
import Foundation

/// One SQLite connection: open with the pragmas the SBC relies on, prepare statements, run
/// transactions and schema migrations.
///
/// Deliberately thin (no GRDB): the store needs a handful of statements on one thread, and a
/// wrapper this size keeps the writer's per-row cost visible. Not Sendable: a connection belongs
/// to one thread (it is opened with `SQLITE_OPEN_NOMUTEX`, so SQLite does not lock for us);
/// `CallRecordStore` hands it to its writer thread and never touches it again.
public final class SQLiteDatabase {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Read-write, creating the file (and its directory) if needed, WAL journal,
        /// `synchronous=NORMAL`: the writer's mode.
        case readWriteCreate
        /// Read-only, the file must exist: for queries while the SBC is writing (WAL lets the
        /// reader see the last committed state without blocking the writer).
        case readOnly
    }

    public let path: String
    private var handle: OpaquePointer?

    /// Opens `path` (`":memory:"` works too).
    ///
    /// - Parameter busyTimeoutMs: how long a statement waits for another connection's lock
    ///   before failing with `SQLITE_BUSY`; the writer and `sbc cdr` may overlap briefly.
    public init(path: String, mode: Mode = .readWriteCreate, busyTimeoutMs: Int32 = 5_000) throws(SQLiteError) {
        self.path = path
        if mode == .readWriteCreate, path != ":memory:", !path.isEmpty {
            try Self.createParentDirectory(of: path)
        }
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= mode == .readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // On failure SQLite still allocates a handle that carries the message.
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, context: "open \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMs)
        if mode == .readWriteCreate {
            // Readers never block the writer and commits need no fsync of the main file: what
            // a CDR store wants. NORMAL can lose the last commits on power loss, never corrupt.
            let journal = try switchToWAL(busyTimeoutMs: busyTimeoutMs)
            if journal?.lowercased() != "wal", path != ":memory:" {
                throw SQLiteError(code: SQLITE_ERROR, message: "journal_mode is \(journal ?? "nil"), wanted wal",
                                  context: "open \(path)")
            }
            try execute("PRAGMA synchronous = NORMAL")
        }
        try execute("PRAGMA foreign_keys = ON")
    }

    deinit { close() }

    /// Closes the connection. `sqlite3_close_v2` defers the real close until outstanding
    /// statements are finalised, so this is safe in any order. Idempotent.
    public func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    // MARK: - Statements

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        guard handle != nil else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed", sql: sql, context: path) }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw error(code: rc == SQLITE_OK ? SQLITE_MISUSE : rc, sql: sql, context: "prepare")
        }
        return SQLiteStatement(database: self, handle: statement, sql: sql)
    }

    /// Runs one or more `;`-separated statements that return no rows of interest (DDL, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        guard handle != nil else { throw SQLiteError(code: SQLITE_MISUSE, message: "database is closed", sql: sql, context: path) }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: rc, message: text, sql: sql, context: path)
        }
    }

    /// Reads (or sets and reads back) a pragma; returns the first column of the first row.
    @discardableResult
    public func pragma(_ name: String, set value: String? = nil) throws(SQLiteError) -> String? {
        let statement = try prepare(value.map { "PRAGMA \(name) = \($0)" } ?? "PRAGMA \(name)")
        defer { statement.finalize() }
        return try statement.step() ? statement.optionalString(at: 0) : nil
    }

    /// `PRAGMA journal_mode = WAL`, retried while another connection holds the lock it needs.
    /// Why a loop of our own: changing a fresh file's journal mode needs an exclusive lock, and
    /// SQLite answers SQLITE_BUSY at once rather than calling the busy handler when waiting
    /// could deadlock, e.g. while a second process opening the same fresh file migrates it.
    private func switchToWAL(busyTimeoutMs: Int32) throws(SQLiteError) -> String? {
        var waited: Int32 = 0
        while true {
            do throws(SQLiteError) {
                return try pragma("journal_mode", set: "WAL")
            } catch where error.code & 0xFF == SQLITE_BUSY && waited < busyTimeoutMs {
                usleep(10_000)
                waited += 10
            }
        }
    }

    /// The journal mode in force ("wal" for a writer connection).
    public var journalMode: String {
        get throws(SQLiteError) { try pragma("journal_mode") ?? "" }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    // MARK: - Transactions

    /// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT`, rolling back if it throws.
    ///
    /// IMMEDIATE takes the write lock up front, so a busy database fails (after the busy
    /// timeout) at BEGIN rather than half-way through a batch.
    public func transaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // After some errors SQLite has already rolled back; ignore "no transaction is active".
            try? execute("ROLLBACK")
            throw error
        }
    }

    // MARK: - Migrations

    /// `PRAGMA user_version`: how many migrations this file has had.
    public var userVersion: Int {
        get throws(SQLiteError) { Int(try pragma("user_version") ?? "0") ?? 0 }
    }

    /// Applies `migrations[userVersion...]` in order, in one transaction, and sets
    /// `user_version` to `migrations.count`. Returns the version found before migrating.
    ///
    /// The version is re-read inside the write transaction so two processes opening a fresh
    /// file at once cannot both apply migration 1. A file newer than this binary (more
    /// migrations than we know) is refused rather than written with an old schema in mind.
    @discardableResult
    public func migrate(_ migrations: [String]) throws(SQLiteError) -> Int {
        try transaction { () throws(SQLiteError) -> Int in
            let found = try userVersion
            guard found <= migrations.count else {
                throw SQLiteError(code: SQLITE_ERROR,
                                  message: "schema version \(found) is newer than this SBC knows (\(migrations.count))",
                                  context: path)
            }
            for index in found..<migrations.count {
                do throws(SQLiteError) {
                    try execute(migrations[index])
                } catch {
                    var error = error
                    error.context = "migration \(index + 1) of \(path)"
                    throw error
                }
            }
            if found < migrations.count {
                try execute("PRAGMA user_version = \(migrations.count)")
            }
            return found
        }
    }

    // MARK: - Errors

    /// Builds an error from the connection's current message.
    func error(code: Int32, sql: String?, context: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        // Prefer the extended code when it refines the one we were given.
        let best = (extended & 0xFF) == (code & 0xFF) ? extended : code
        return SQLiteError(code: best, message: message, sql: sql, context: context.map { "\($0) on \(path)" } ?? path)
    }

    /// `mkdir -p` of the file's directory, so `--state-dir` may name a directory not made yet.
    private static func createParentDirectory(of path: String) throws(SQLiteError) {
        let directory = (path as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SQLiteError(code: SQLITE_CANTOPEN, message: "cannot create directory \(directory): \(error.localizedDescription)",
                              context: "open \(path)")
        }
    }
}
