import CSBCSQLite

/// A failed SQLite call, with what the SBC was trying to do.
///
/// Typed (rather than `any Error`) so the store's callers can log the result code, the message
/// and the statement without casting, and so an operator reading a log line sees *which* SQL and
/// *which* file failed, not just "database is locked".
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Extended result code (`SQLITE_BUSY`, `SQLITE_CANTOPEN`, `SQLITE_CONSTRAINT_NOTNULL`, ...).
    public var code: Int32
    /// SQLite's own message (`sqlite3_errmsg`) or, for failures outside SQLite such as creating
    /// the directory, the OS reason.
    public var message: String
    /// The statement being prepared or run, if any.
    public var sql: String?
    /// What the caller was doing: the database path, the migration number, ...
    public var context: String?

    public init(code: Int32, message: String, sql: String? = nil, context: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
        self.context = context
    }

    /// The primary result code (the low byte of the extended code), for comparisons against
    /// `SQLITE_BUSY` and friends.
    public var primaryCode: Int32 { code & 0xFF }

    /// SQLite's English name of the code, e.g. "database is locked".
    public var codeDescription: String { String(cString: sqlite3_errstr(code)) }

    public var description: String {
        var text = "SQLite error \(code) (\(codeDescription)): \(message)"
        if let context { text += " [\(context)]" }
        if let sql { text += " in `\(sql)`" }
        return text
    }
}
