import Dispatch
import Foundation
import Logging
import PostgresNIO

/// A node's link to the rest of its cluster through the shared PostgreSQL database, on a thread
/// of its own ("sbc-cluster"):
/// - it LISTENs on `sbc_operator` and re-reads the operator decisions (trunk locks, group
///   decisions, activations) when a node commits one, and at least every `reconcile` even without a
///   notification (one missed while the connection was down heals by itself; after a reconnect
///   it re-reads at once);
/// - it writes this node's heartbeat row every `heartbeat` and caches every node's row and trunk
///   view for the admin API;
/// - its success or failure is the node's answer to "is the shared store reachable?", which
///   decides whether operator changes are accepted (503 while not).
///
/// The decisions go to `deliver` (the server hops them onto the signalling loop); this class
/// never touches call state.
public final class ClusterStateListener: @unchecked Sendable {
    /// Everything below `lock` is guarded by it.
    private let lock = ConditionLock()
    private var stopping = false
    private var reachableNow = false
    private var cachedNodes: [ClusterNodeStatus] = []

    private let session: PostgresSession
    private let node: String
    private let admin: String?
    private let version: String
    private let reconcile: Duration
    private let heartbeat: Duration
    private let logger: Logger
    private let deliver: @Sendable (ClusterDecisions) -> Void
    private let activeCalls: @Sendable () -> Int
    private let wake = DispatchSemaphore(value: 0)
    private let startedAt = Date().timeIntervalSince1970
    private var thread: Thread?

    public static let defaultHeartbeat: Duration = .seconds(1)
    /// A node whose heartbeat is older than this is shown as not alive.
    public static let aliveWindow: Double = 5

    public init(endpoint: PostgresEndpoint, node: String, admin: String?, version: String, reconcile: Duration,
                heartbeat: Duration = ClusterStateListener.defaultHeartbeat, logger: Logger,
                activeCalls: @escaping @Sendable () -> Int, deliver: @escaping @Sendable (ClusterDecisions) -> Void) {
        session = PostgresSession(endpoint: endpoint, logger: logger)
        self.node = node
        self.admin = admin
        self.version = version
        self.reconcile = reconcile
        self.heartbeat = heartbeat
        self.logger = logger
        self.activeCalls = activeCalls
        self.deliver = deliver
    }

    /// Whether the last exchange with the database succeeded.
    public var reachable: Bool { lock.withLock { reachableNow } }

    /// Every node's last heartbeat and trunk view, as of the last heartbeat (at most `heartbeat` old).
    public var nodes: [ClusterNodeStatus] { lock.withLock { cachedNodes } }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "sbc-cluster"
        self.thread = thread
        thread.start()
    }

    public func stop() {
        lock.withLock { stopping = true }
        wake.signal()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    // MARK: - The thread

    private func run() {
        var listening: ObjectIdentifier?
        var lastReconcile: ContinuousClock.Instant?
        var notified = true
        while !isStopping {
            do throws(StoreError) {
                let connection = try session.connected()
                if listening != ObjectIdentifier(connection) {
                    connection.addListener(channel: PostgresOperationalWriter.channel) { [wake] _, _ in wake.signal() }
                    try session.query("LISTEN \(PostgresOperationalWriter.channel)")
                    listening = ObjectIdentifier(connection)
                    notified = true  // whatever was sent while we were not listening
                }
                try beat()
                if notified || lastReconcile.map({ $0.duration(to: .now) >= reconcile }) ?? true {
                    deliver(try PostgresSchema.decisions(session))
                    lastReconcile = .now
                }
                setReachable(true)
            } catch {
                setReachable(false, error: error)
                listening = nil
            }
            let milliseconds = Int(heartbeat / .milliseconds(1))
            notified = wake.wait(timeout: .now() + .milliseconds(milliseconds)) == .success
        }
        session.close()
    }

    private func setReachable(_ value: Bool, error: StoreError? = nil) {
        let changed = lock.withLock {
            defer { reachableNow = value }
            return reachableNow != value
        }
        guard changed else { return }
        if value {
            logger.notice("cluster store reachable", metadata: ["node": "\(node)", "store": "\(session.endpoint)"])
        } else {
            logger.error("cluster store unreachable: operator changes refused until it returns", metadata: [
                "node": "\(node)", "store": "\(session.endpoint)", "error": "\(error.map { "\($0)" } ?? "")",
            ])
        }
    }

    private static let upsertNode = """
        INSERT INTO cluster_nodes (node, started_at, heartbeat_at, active_calls, admin, version)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (node) DO UPDATE SET
            started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
            active_calls = excluded.active_calls, admin = excluded.admin, version = excluded.version
        """
    private static let selectNodes = """
        SELECT node, started_at, heartbeat_at, active_calls, admin, version FROM cluster_nodes ORDER BY node
        """

    /// Writes this node's heartbeat and refreshes the cached view of every node.
    private func beat() throws(StoreError) {
        let parameters = PostgresParameters()
        parameters.bind(node, at: 1)
        parameters.bind(startedAt, at: 2)
        parameters.bind(Date().timeIntervalSince1970, at: 3)
        parameters.bind(activeCalls(), at: 4)
        parameters.bind(admin, at: 5)
        parameters.bind(version, at: 6)
        try session.query(Self.upsertNode, parameters)
        var nodes = try session.query(Self.selectNodes).map { row in
            let cells = PostgresStoreRow(row)
            return ClusterNodeStatus(node: cells.string(at: 0), startedAt: cells.double(at: 1),
                                     heartbeatAt: cells.double(at: 2), activeCalls: cells.int(at: 3),
                                     admin: cells.optionalString(at: 4), version: cells.optionalString(at: 5))
        }
        let views = try PostgresSchema.rows(session, OperationalSchema.selectNodeTrunks) { row in
            (node: row.string(at: 9), trunk: OperationalSchema.trunkState(row))
        }
        for index in nodes.indices {
            nodes[index].trunks = views.filter { $0.node == nodes[index].node }.map(\.trunk)
        }
        lock.withLock { cachedNodes = nodes }
    }
}
