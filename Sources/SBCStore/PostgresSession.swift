import Dispatch
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One PostgreSQL connection used by one thread at a time (a store's writer thread, the cluster
/// listener), in blocking style: the stores are built on threads that block in SQLite, and this
/// keeps PostgreSQL the same shape for them. The connection itself runs on NIO's shared event
/// loops; the calling thread waits for each answer, at most `endpoint.timeout`.
///
/// A connection that fails or times out is dropped and the next statement reconnects, so an
/// outage is reported as `StoreError.unreachable` for as long as it lasts and heals by
/// itself. Never call it from a NIO event loop thread (it blocks).
final class PostgresSession: @unchecked Sendable {
    let endpoint: PostgresEndpoint
    private let logger: Logger
    private var connection: PostgresConnection?
    /// Connection numbers for postgres-nio's log metadata.
    private static let connectionIDs = Mutex(0)

    init(endpoint: PostgresEndpoint, logger: Logger) {
        self.endpoint = endpoint
        var logger = logger
        logger.logLevel = max(logger.logLevel, .notice)  // postgres-nio's per-query debug lines are not ours
        self.logger = logger
    }

    deinit { close() }

    /// Runs one statement and returns its rows. `sql` is the PostgreSQL text (`SQLDialect`).
    @discardableResult
    func query(_ sql: String, _ parameters: PostgresParameters? = nil) throws(StoreError) -> [PostgresRow] {
        let connection = try connected()
        let query = PostgresQuery(unsafeSQL: sql, binds: parameters?.bindings ?? PostgresBindings())
        return try wait(for: connection.query(query, logger: logger).map(\.rows), what: "statement")
    }

    /// Runs `body` between BEGIN and COMMIT; on any failure the transaction is rolled back (or the
    /// connection dropped, which rolls it back on the server).
    func transaction(_ body: () throws(StoreError) -> Void) throws(StoreError) {
        try query("BEGIN")
        do throws(StoreError) {
            try body()
            try query("COMMIT")
        } catch {
            if case .refused = error { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    /// The open connection, connecting first if there is none.
    func connected() throws(StoreError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connection = nil
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password,
            database: endpoint.database, tls: .disable)
        configuration.options.connectTimeout = .milliseconds(Int64(endpoint.timeout / .milliseconds(1)))
        let future = PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(),
                                                configuration: configuration, id: Self.connectionIDs.withLock { $0 += 1; return $0 },
                                                logger: logger)
        let opened = try wait(for: future, what: "connection to \(endpoint)")
        connection = opened
        return opened
    }

    /// Closes the connection (the next statement opens a new one).
    func close() {
        guard let connection else { return }
        self.connection = nil
        // postgres-nio insists that a connection is closed before it is released: the callback
        // keeps it until then.
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Waits for `future`, at most the endpoint's timeout, and classifies a failure.
    private func wait<Value: Sendable>(for future: EventLoopFuture<Value>, what: String) throws(StoreError) -> Value {
        let outcome = FutureOutcome<Value>()
        future.whenComplete { outcome.set($0) }
        guard let result = outcome.wait(timeout: endpoint.timeout) else {
            close()
            throw .unreachable("no answer from \(endpoint) within \(endpoint.timeout) (\(what))")
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            let classified = Self.classify(error, endpoint: endpoint)
            if case .unreachable = classified { close() }
            throw classified
        }
    }

    /// A server's refusal of a statement is `refused`; everything about the connection (refused,
    /// reset, the server shutting down: SQLSTATE classes 08, 57 and 53) is `unreachable`.
    static func classify(_ error: any Error, endpoint: PostgresEndpoint) -> StoreError {
        guard let error = error as? PSQLError else { return .unreachable("\(endpoint): \(error)") }
        guard error.code == .server, let info = error.serverInfo else {
            return .unreachable("\(endpoint): \(error.code)")
        }
        let state = info[.sqlState] ?? "?"
        let message = "\(info[.message] ?? "server error") (SQLSTATE \(state))"
        if ["08", "57", "53"].contains(String(state.prefix(2))) || error.code == .connectionError {
            return .unreachable("\(endpoint): \(message)")
        }
        return .refused(message)
    }
}

/// The result of a future, handed from the event loop to the waiting thread.
private final class FutureOutcome<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = ConditionLock()
    private var result: Result<Value, any Error>?

    func set(_ result: Result<Value, any Error>) {
        lock.withLock { self.result = result }
        done.signal()
    }

    /// The result, or nil when none came within `timeout`.
    func wait(timeout: Duration) -> Result<Value, any Error>? {
        let milliseconds = Int(timeout / .milliseconds(1))
        guard done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return nil }
        return lock.withLock { result }
    }
}

/// A PostgreSQL query's bindings filled through `StoreParameters`, in parameter order.
final class PostgresParameters: StoreParameters {
    typealias Failure = Never
    private(set) var bindings = PostgresBindings()
    private var count: Int32 = 0

    private func next(_ index: Int32) {
        count += 1
        precondition(index == count, "PostgreSQL parameters are bound in order: got $\(index) after $\(count - 1)")
    }

    func bind(_ value: String?, at index: Int32) { next(index); bindings.append(value) }
    func bind(_ value: Int?, at index: Int32) { next(index); bindings.append(value) }
    func bind(_ value: Int64?, at index: Int32) { next(index); bindings.append(value) }
    func bind(_ value: Double?, at index: Int32) { next(index); bindings.append(value) }
    func bind(_ value: [UInt8], at index: Int32) { next(index); bindings.append(ByteBuffer(bytes: value)) }
}

/// A PostgreSQL row read through `StoreRow`; a NULL or a value of another type reads as the
/// type's zero (the columns are the store's own, so that only happens on a schema mismatch).
struct PostgresStoreRow: StoreRow {
    private let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { cells = row.makeRandomAccess() }

    func string(at column: Int32) -> String { optionalString(at: column) ?? "" }
    func optionalString(at column: Int32) -> String? { try? cells[Int(column)].decode(String?.self) }
    func int(at column: Int32) -> Int { optionalInt(at: column) ?? 0 }
    func optionalInt(at column: Int32) -> Int? { try? cells[Int(column)].decode(Int?.self) }
    func int64(at column: Int32) -> Int64 { (try? cells[Int(column)].decode(Int64.self)) ?? 0 }
    func double(at column: Int32) -> Double { optionalDouble(at: column) ?? 0 }
    func optionalDouble(at column: Int32) -> Double? { try? cells[Int(column)].decode(Double?.self) }
    func blob(at column: Int32) -> [UInt8] {
        (try? cells[Int(column)].decode(ByteBuffer.self)).map { Array($0.readableBytesView) } ?? []
    }
}
