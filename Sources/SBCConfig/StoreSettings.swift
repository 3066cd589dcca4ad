import Yams

/// Where CDRs, the audit log and operator state are kept (YAML section `store`, optional;
/// docs/STATE.md, docs/CLUSTER.md).
///
/// Why a choice of back end: one node keeps everything in an embedded SQLite file and needs no
/// server; several nodes behind a load balancer must see one operator state (a lock made through
/// any node holds on all of them) and write CDRs to one place, which is what a shared PostgreSQL
/// gives without a cluster protocol of our own. Restart snapshots of established calls stay in
/// the node's own SQLite file either way: they belong to the process that holds the calls.
public struct StoreSettings: Sendable, Equatable {
    /// The database and how to reach it.
    public enum Backend: Sendable, Equatable {
        /// Key `backend: sqlite` (the default): `<node.state_dir>/cdr.sqlite`.
        case sqlite
        /// Key `backend: postgres`: a PostgreSQL database shared by every node of a cluster.
        case postgres(PostgresStoreSettings)
    }

    public var backend: Backend
    /// Writes held in memory while the database is slow or unreachable (key `buffer`, default
    /// 100,000, range 1,000-10,000,000), per writer (CDRs; state and audit). Past it a write is
    /// dropped and counted (`sbc_store_dropped_writes_total`), never waited for: calls do not
    /// depend on the store.
    public var buffer: Int

    public static let defaultBuffer = 100_000
    static let bufferRange = 1_000...10_000_000

    public init(backend: Backend = .sqlite, buffer: Int = StoreSettings.defaultBuffer) {
        self.backend = backend
        self.buffer = buffer
    }
}

/// How to reach the shared PostgreSQL database (the keys of section `store` beside `backend:
/// postgres`).
public struct PostgresStoreSettings: Sendable, Equatable {
    /// From key `url`, `postgres://USER@HOST[:PORT]/DATABASE`: never with a password, which comes
    /// from ``password`` so that the configuration file is not a secret.
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    /// Key `password_env`, `password_file` or (discouraged) `password`.
    public var password: SecretSource
    /// Every node re-reads the cluster's operator state this often even without a notification
    /// (key `reconcile_s`, default 5, range 1-300), so a NOTIFY lost while a node was cut off from
    /// the database heals by itself.
    public var reconcile: Duration
    /// How long one statement or connection attempt may take before the database counts as
    /// unreachable (key `timeout_ms`, default 2,000, range 100-60,000): a hung server must not
    /// hold the writers forever.
    public var timeout: Duration

    public static let defaultPort = 5432
    public static let defaultReconcile: Duration = .seconds(5)
    public static let defaultTimeout: Duration = .seconds(2)

    public init(host: String, port: Int = PostgresStoreSettings.defaultPort, user: String, database: String,
                password: SecretSource, reconcile: Duration = PostgresStoreSettings.defaultReconcile,
                timeout: Duration = PostgresStoreSettings.defaultTimeout) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.reconcile = reconcile
        self.timeout = timeout
    }

    /// The URL without a password, for logs and the admin API.
    public var displayURL: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Parses `postgres://USER@HOST[:PORT]/DATABASE` (or `postgresql://`); the error says what is
    /// wrong without echoing a password that was written in it.
    static func parseURL(_ text: String) -> Result<(host: String, port: Int, user: String, database: String), URLError> {
        var rest = Substring(text)
        guard let scheme = ["postgres://", "postgresql://"].first(where: { rest.hasPrefix($0) }) else {
            return .failure(URLError("must start with postgres:// (postgres://USER@HOST[:PORT]/DATABASE)"))
        }
        rest = rest.dropFirst(scheme.count)
        guard let at = rest.firstIndex(of: "@") else {
            return .failure(URLError("needs a user: postgres://USER@HOST[:PORT]/DATABASE"))
        }
        let user = rest[..<at]
        if user.contains(":") {
            return .failure(URLError("must not hold a password (postgres://USER:...@); use password_env or password_file"))
        }
        rest = rest[rest.index(after: at)...]
        guard let slash = rest.firstIndex(of: "/") else {
            return .failure(URLError("needs a database: postgres://USER@HOST[:PORT]/DATABASE"))
        }
        let authority = rest[..<slash]
        let database = rest[rest.index(after: slash)...]
        var host = authority
        var port = defaultPort
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(URLError("has a port that is not 1-65535"))
            }
            port = number
        }
        let isName: (Substring) -> Bool = { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
        guard isName(user), isName(host), isName(database) else {
            return .failure(URLError("user, host and database must be letters, digits, '-', '_' or '.' "
                + "(postgres://USER@HOST[:PORT]/DATABASE; no query parameters)"))
        }
        return .success((String(host), port, String(user), String(database)))
    }

    struct URLError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

extension StoreSettings {
    /// The keys of the `store` section.
    static let keys = ["backend", "url", "reconcile_s", "timeout_ms", "buffer"] + SecretSource.keys

    enum BackendName: String, CaseIterable { case sqlite, postgres }

    /// Reads the `store` section; absent or null means SQLite with the default buffer.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> StoreSettings {
        var settings = StoreSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.buffer = reader.integer("buffer", in: bufferRange) ?? settings.buffer
        let backend: BackendName = reader.choice("backend") ?? .sqlite
        let postgresKeys = ["url", "reconcile_s", "timeout_ms"] + SecretSource.keys
        switch backend {
        case .sqlite:
            for key in postgresKeys where reader.value(key) != nil {
                problems.report(reader.path(key), "applies only with backend: postgres")
            }
        case .postgres:
            guard reader.require("url", "postgres://USER@HOST[:PORT]/DATABASE of the shared database"),
                  let url = reader.string("url")
            else { return settings }
            let password = SecretSource.read(reader, what: "the database password's source")
            switch PostgresStoreSettings.parseURL(url) {
            case .failure(let error):
                problems.report(reader.path("url"), error.message)
            case .success(let parts):
                guard let password else { return settings }
                var postgres = PostgresStoreSettings(host: parts.host, port: parts.port, user: parts.user,
                                                     database: parts.database, password: password)
                postgres.reconcile = reader.seconds("reconcile_s", in: 1...300) ?? postgres.reconcile
                postgres.timeout = reader.milliseconds("timeout_ms", in: 100...60_000) ?? postgres.timeout
                settings.backend = .postgres(postgres)
            }
        }
        return settings
    }
}
