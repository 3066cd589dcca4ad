/// Where a store statement's parameters go: a prepared SQLite statement, or the bindings of a
/// PostgreSQL query (`PostgresParameters`).
///
/// Why: each record type says once, in one function, which value is parameter 1, 2, 3...; both
/// back ends run the same statement text (``SQLDialect`` rewrites `?1` to `$1`), so the same
/// binding function serves both and the two can never disagree about a column.
protocol StoreParameters {
    associatedtype Failure: Error
    func bind(_ value: String?, at index: Int32) throws(Failure)
    func bind(_ value: Int?, at index: Int32) throws(Failure)
    func bind(_ value: Int64?, at index: Int32) throws(Failure)
    func bind(_ value: Double?, at index: Int32) throws(Failure)
    func bind(_ value: [UInt8], at index: Int32) throws(Failure)
}

extension SQLiteStatement: StoreParameters {
    typealias Failure = SQLiteError
}

/// One row of a query's result, read by column index: a stepped SQLite statement or a PostgreSQL
/// row (`PostgresStoreRow`), so each record type decodes its columns in one function.
protocol StoreRow {
    func string(at column: Int32) -> String
    func optionalString(at column: Int32) -> String?
    func int(at column: Int32) -> Int
    func optionalInt(at column: Int32) -> Int?
    func int64(at column: Int32) -> Int64
    func double(at column: Int32) -> Double
    func optionalDouble(at column: Int32) -> Double?
    func blob(at column: Int32) -> [UInt8]
}

extension SQLiteStatement: StoreRow {}
