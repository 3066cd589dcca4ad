/// How to reach the shared PostgreSQL database: what `PostgresSession` connects with. The
/// password is already resolved (by the process that uses it) and never printed.
public struct PostgresEndpoint: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String
    /// Longest wait for a connection or one statement before the database counts as unreachable.
    public var timeout: Duration

    public init(host: String, port: Int, user: String, database: String, password: String, timeout: Duration) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.password = password
        self.timeout = timeout
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
