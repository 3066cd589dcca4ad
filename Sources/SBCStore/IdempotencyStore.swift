import Foundation
import Logging

/// Remembers the responses of admin API requests that carried an `Idempotency-Key`, so a client
/// retrying after a timeout gets the original response instead of repeating the action (a second
/// "force failover" or "lock trunk" with a second audit entry).
///
/// Synchronous on the caller's thread: only the admin API thread uses it, and it must know the
/// answer before replying. Rows live in the state database (`idempotency_keys`), so a retry that
/// arrives after an SBC restart is still recognised. Keys are scoped by the caller's `token`
/// (whatever identifies the client, e.g. a hash of its bearer token), so two clients choosing
/// the same key never see each other's responses.
public final class IdempotencyStore: Sendable {
    /// A stored response, with the request line and the digest of the request it answered: a key
    /// reused for a different method, path or body is a client error the API must detect rather
    /// than replay.
    public struct StoredResponse: Sendable, Equatable {
        public var method: String
        public var path: String
        public var status: Int
        public var body: [UInt8]
        /// Empty for rows stored before migration 6.
        public var requestDigest: String

        public init(method: String, path: String, status: Int, body: [UInt8], requestDigest: String = "") {
            self.method = method
            self.path = path
            self.status = status
            self.body = body
            self.requestDigest = requestDigest
        }
    }

    /// The SQLite file, or the PostgreSQL database's URL (without a password).
    public let path: String
    private let backend: Backend
    private let now: @Sendable () -> Double

    /// The node's own file, or the cluster's database: a client retrying through another node
    /// (an admin load balancer) still gets the first answer.
    private enum Backend: Sendable {
        case sqlite(LockedDatabase)
        case postgres(PostgresReader)
    }

    /// Opens (creating as needed) and migrates the state database at `path`.
    public convenience init(path: String) throws(SQLiteError) {
        try self.init(path: path, now: { Date().timeIntervalSince1970 })
    }

    /// - Parameter now: the clock stamping `created_at` (tests inject one).
    init(path: String, now: @escaping @Sendable () -> Double) throws(SQLiteError) {
        self.path = path
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.migrate(StateSchema.migrations)
        backend = .sqlite(LockedDatabase(database))
        self.now = now
    }

    /// Keys in the cluster's PostgreSQL database (migrated by the stores opened before it).
    public init(postgres endpoint: PostgresEndpoint, logger: Logger) {
        path = endpoint.description
        backend = .postgres(PostgresReader(session: PostgresSession(endpoint: endpoint, logger: logger)))
        now = { Date().timeIntervalSince1970 }
    }

    deinit {
        if case .sqlite(let connection) = backend { connection.close() }
    }

    /// The response stored for `key` under `token`, or nil if none.
    public func lookup(key: String, token: String) throws(StoreError) -> StoredResponse? {
        try run(.lookup(key: key, token: token)).first
    }

    /// Stores `response` for `key` under `token` unless one is already stored: the first writer
    /// wins (`INSERT OR IGNORE`), even across processes and nodes. Call `lookup` afterwards to
    /// learn which response won a race.
    public func save(key: String, token: String, response: StoredResponse) throws(StoreError) {
        _ = try run(.save(key: key, token: token, response: response, createdAt: now()))
    }

    /// Deletes responses stored before `olderThan` (Unix seconds), e.g. `now - 24 h`: keys only
    /// need to outlive a client's retries.
    public func purge(olderThan: Double) throws(StoreError) {
        _ = try run(.purge(olderThan: olderThan))
    }

    /// One statement on `idempotency_keys` with its parameters, for either back end.
    private enum Statement {
        case lookup(key: String, token: String)
        case save(key: String, token: String, response: StoredResponse, createdAt: Double)
        case purge(olderThan: Double)

        var sql: String {
            switch self {
            case .lookup: OperationalSchema.selectIdempotent
            case .save: OperationalSchema.insertIdempotent
            case .purge: OperationalSchema.purgeIdempotent
            }
        }

        func bind<Parameters: StoreParameters>(to statement: Parameters) throws(Parameters.Failure) {
            switch self {
            case .lookup(let key, let token):
                try statement.bind(key, at: 1)
                try statement.bind(token, at: 2)
            case .save(let key, let token, let response, let createdAt):
                try statement.bind(key, at: 1)
                try statement.bind(token, at: 2)
                try statement.bind(response.method, at: 3)
                try statement.bind(response.path, at: 4)
                try statement.bind(response.status, at: 5)
                try statement.bind(response.body, at: 6)
                try statement.bind(createdAt, at: 7)
                try statement.bind(response.requestDigest, at: 8)
            case .purge(let olderThan):
                try statement.bind(olderThan, at: 1)
            }
        }
    }

    private static func response(_ row: some StoreRow) -> StoredResponse {
        StoredResponse(method: row.string(at: 0), path: row.string(at: 1), status: row.int(at: 2), body: row.blob(at: 3),
                       requestDigest: row.string(at: 4))
    }

    /// Runs `statement` on the back end and returns the responses it reads (none for writes).
    private func run(_ statement: Statement) throws(StoreError) -> [StoredResponse] {
        switch backend {
        case .sqlite(let connection):
            return try StoreReads.local { () throws(SQLiteError) in
                try connection.withDatabase { (database) throws(SQLiteError) -> [StoredResponse] in
                    let prepared = try database.prepare(statement.sql)
                    defer { prepared.finalize() }
                    try statement.bind(to: prepared)
                    var rows: [StoredResponse] = []
                    while try prepared.step() { rows.append(Self.response(prepared)) }
                    return rows
                }
            }
        case .postgres(let reader):
            let parameters = PostgresParameters()
            statement.bind(to: parameters)
            return try reader.rows(statement.sql, parameters, decode: Self.response)
        }
    }
}
