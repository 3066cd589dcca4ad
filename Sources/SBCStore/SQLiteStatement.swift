import CSBCSQLite

/// A prepared statement: typed binds, step, typed column reads, reset.
///
/// Prepared once and reused (bind, step, reset) because parsing SQL per CDR would dominate the
/// writer's cost. Holds a strong reference to its `SQLiteDatabase` so the connection cannot be
/// closed under it; the database uses `sqlite3_close_v2`, which also tolerates statements
/// outliving an explicit `close()`. Not Sendable: it lives on the thread that owns the connection.
public final class SQLiteStatement {
    public let sql: String
    private let database: SQLiteDatabase
    private var handle: OpaquePointer?

    init(database: SQLiteDatabase, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Releases the statement now rather than at deinit (e.g. before closing the database).
    public func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    // MARK: - Binding (parameters are 1-based, as in SQLite)

    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_int64(handle, index, value), "bind int64 #\(index)")
    }

    public func bind(_ value: Int?, at index: Int32) throws(SQLiteError) {
        try bind(value.map(Int64.init), at: index)
    }

    public func bind(_ value: Double?, at index: Int32) throws(SQLiteError) {
        guard let value else { return try bindNull(at: index) }
        try check(sqlite3_bind_double(handle, index, value), "bind double #\(index)")
    }

    /// Binds the UTF-8 bytes with an explicit length (embedded NULs survive) and
    /// `SQLITE_TRANSIENT`, so SQLite copies them before Swift can release the string's storage.
    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        guard var value else { return try bindNull(at: index) }
        let rc = value.withUTF8 { bytes -> Int32 in
            // An empty buffer may have a nil base address, which SQLite would store as NULL.
            let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            return sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self),
                                     Int32(bytes.count), csbc_sqlite_transient())
        }
        try check(rc, "bind text #\(index)")
    }

    /// Binds bytes as a BLOB, copied (`SQLITE_TRANSIENT`). An empty array binds a zero-length
    /// blob, not NULL: SQLite turns a nil pointer into NULL, which a `BLOB NOT NULL` column
    /// (a stored 204 response body) would refuse.
    public func bind(_ value: [UInt8], at index: Int32) throws(SQLiteError) {
        let rc = value.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob(handle, index, base, Int32(bytes.count), csbc_sqlite_transient())
        }
        try check(rc, "bind blob #\(index)")
    }

    public func bindNull(at index: Int32) throws(SQLiteError) {
        try check(sqlite3_bind_null(handle, index), "bind null #\(index)")
    }

    public func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        switch value {
        case .integer(let v): try bind(v, at: index)
        case .real(let v): try bind(v, at: index)
        case .text(let v): try bind(v, at: index)
        case .null: try bindNull(at: index)
        }
    }

    /// Binds `values` to parameters 1...n.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    // MARK: - Running

    /// Advances one step: true when a row is available, false when the statement is done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.error(code: rc, sql: sql, context: "step")
        }
    }

    /// Rewinds the statement and clears the bindings so the next use starts clean. The result of
    /// `sqlite3_reset` repeats the last step's error, already thrown there, so it is ignored.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds, runs to completion and resets: the common shape of an INSERT/UPDATE.
    public func run(_ values: [SQLiteValue] = []) throws(SQLiteError) {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    // MARK: - Columns (0-based, as in SQLite)

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func isNull(at column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    public func int64(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    public func int(at column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    public func double(at column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column as text ("" for NULL); the length comes from SQLite, so NULs survive.
    public func string(at column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as bytes (empty for NULL and zero-length blobs, for which SQLite returns no
    /// pointer).
    public func blob(at column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    public func optionalInt(at column: Int32) -> Int? { isNull(at: column) ? nil : int(at: column) }

    public func optionalDouble(at column: Int32) -> Double? { isNull(at: column) ? nil : double(at: column) }

    public func optionalString(at column: Int32) -> String? { isNull(at: column) ? nil : string(at: column) }

    private func check(_ rc: Int32, _ what: String) throws(SQLiteError) {
        guard rc == SQLITE_OK else { throw database.error(code: rc, sql: sql, context: what) }
    }
}
