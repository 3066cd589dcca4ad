import Foundation

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

    public let path: String
    private let connection: LockedDatabase
    private let now: @Sendable () -> Double

    /// Opens (creating as needed) and migrates the state database at `path`.
    public convenience init(path: String) throws(SQLiteError) {
        try self.init(path: path, now: { Date().timeIntervalSince1970 })
    }

    /// - Parameter now: the clock stamping `created_at` (tests inject one).
    init(path: String, now: @escaping @Sendable () -> Double) throws(SQLiteError) {
        self.path = path
        let database = try SQLiteDatabase(path: path, mode: .readWriteCreate)
        try database.migrate(StateSchema.migrations)
        connection = LockedDatabase(database)
        self.now = now
    }

    deinit { connection.close() }

    /// The response stored for `key` under `token`, or nil if none.
    public func lookup(key: String, token: String) throws(SQLiteError) -> StoredResponse? {
        try connection.withDatabase { (database) throws(SQLiteError) -> StoredResponse? in
            let select = try database.prepare(OperationalSchema.selectIdempotent)
            defer { select.finalize() }
            try select.bind(key, at: 1)
            try select.bind(token, at: 2)
            guard try select.step() else { return nil }
            return StoredResponse(method: select.string(at: 0), path: select.string(at: 1),
                                  status: select.int(at: 2), body: select.blob(at: 3), requestDigest: select.string(at: 4))
        }
    }

    /// Stores `response` for `key` under `token` unless one is already stored: the first writer
    /// wins (`INSERT OR IGNORE`), even across processes. Call `lookup` afterwards to learn which
    /// response won a race.
    public func save(key: String, token: String, response: StoredResponse) throws(SQLiteError) {
        let createdAt = now()
        try connection.withDatabase { (database) throws(SQLiteError) in
            let insert = try database.prepare(OperationalSchema.insertIdempotent)
            defer { insert.finalize() }
            try insert.bind(key, at: 1)
            try insert.bind(token, at: 2)
            try insert.bind(response.method, at: 3)
            try insert.bind(response.path, at: 4)
            try insert.bind(response.status, at: 5)
            try insert.bind(response.body, at: 6)
            try insert.bind(createdAt, at: 7)
            try insert.bind(response.requestDigest, at: 8)
            try insert.step()
        }
    }

    /// Deletes responses stored before `olderThan` (Unix seconds), e.g. `now - 24 h`: keys only
    /// need to outlive a client's retries.
    public func purge(olderThan: Double) throws(SQLiteError) {
        try connection.withDatabase { (database) throws(SQLiteError) in
            let delete = try database.prepare(OperationalSchema.purgeIdempotent)
            defer { delete.finalize() }
            try delete.bind(olderThan, at: 1)
            try delete.step()
        }
    }
}
