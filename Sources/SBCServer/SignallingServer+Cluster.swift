import AdminAPI
import Foundation
import Logging
import SBCConfig
import SBCStore
import SBCSystem
import Synchronization

/// A node of a cluster (docs/CLUSTER.md): operator decisions taken through any node's API are
/// stored as intent (`trunk_locks`, `group_state`) and applied here, on the loop, by every node.
extension SignallingServer {
    /// Applies the cluster's decisions this node has not applied yet (`ClusterDecisionTracker`),
    /// and adopts activations other nodes made.
    func applyClusterDecisions(_ decisions: ClusterDecisions) {
        var view = ClusterDecisionTracker.LocalView()
        for trunk in configuration.trunks {
            view.locked[trunk.name] = b2bua.trunkHealth(named: trunk.name).map { $0.lockedBy != nil }
        }
        for group in configuration.trunkGroups {
            let awaiting = group.members.contains { b2bua.trunkHealth(named: $0)?.awaitingApproval == true }
            view.groups[group.name] = (b2bua.isFailoverForced(group: group.name), awaiting)
        }
        for action in clusterDecisions.actions(for: decisions, local: view) {
            switch action {
            case .lock(let trunk, let reason, let actor):
                try? b2bua.lock(trunk: trunk, reason: reason, actor: actor, now: now)
            case .unlock(let trunk, let reason, let actor):
                try? b2bua.unlock(trunk: trunk, reason: reason, actor: actor, now: now)
            case .forceFailover(let group, let reason, let actor):
                try? b2bua.forceFailover(group: group, reason: reason, actor: actor, now: now)
            case .approveFailBack(let group, let reason, let actor):
                try? b2bua.approveFailBack(group: group, reason: reason, actor: actor, now: now)
            }
        }
        adoptActivations(decisions.activations, fromCluster: true)
        emit([])
    }

    /// `GET /api/v1/nodes`: every node with a heartbeat in the shared store, or this node alone.
    func nodeStatuses() -> [NodeStatus] {
        let name = configuration.node.name
        guard let clusterListener else {
            let trunks = trunkStatuses().map { NodeTrunkView(name: $0.name, state: $0.state, cause: $0.cause, since: $0.since) }
            return [NodeStatus(name: name, current: true, alive: true, heartbeatAt: nil, activeCalls: b2bua.activeCalls,
                               admin: adminAddress,
                               version: Self.product, trunks: trunks)]
        }
        let wallNow = Date().timeIntervalSince1970
        return clusterListener.nodes.map { node in
            NodeStatus(name: node.node, current: node.node == name,
                       alive: wallNow - node.heartbeatAt <= ClusterStateListener.aliveWindow,
                       heartbeatAt: node.heartbeatAt, activeCalls: node.activeCalls, admin: node.admin, version: node.version,
                       trunks: node.trunks.map { NodeTrunkView(name: $0.trunk, state: $0.state, cause: $0.cause, since: $0.since) })
        }
    }

    /// Where this node's admin API listens, as the nodes API shows it; nil when it is off.
    private var adminAddress: String? {
        configuration.admin.enabled ? "\(configuration.admin.listenAddress)" : nil
    }

    /// Operator changes need the shared store when there is one: a decision that other nodes
    /// cannot learn would split the cluster, so it is refused (503) while the store is away.
    func refusalWhileStoreAway() -> String? {
        guard let clusterListener, !clusterListener.reachable else { return nil }
        return "the cluster's shared store is unreachable; operator changes are refused until it returns"
    }

    /// Connects this node to the cluster's store: decisions applied on the loop, heartbeat with
    /// the call count (`publishCallGauges` keeps `callCount` current).
    func makeClusterListener(endpoint: PostgresEndpoint, settings: PostgresStoreSettings) -> ClusterStateListener {
        let inbox = ClusterInbox(server: self)
        let loop = self.loop
        let calls = callCount
        return ClusterStateListener(
            endpoint: endpoint, node: configuration.node.name,
            admin: adminAddress, version: Self.product,
            reconcile: settings.reconcile, logger: logger,
            activeCalls: { calls.value.withLock { $0 } },
            deliver: { decisions in loop.execute { inbox.server?.applyClusterDecisions(decisions) } })
    }

    /// The store's endpoint with its password read now, by the process that uses it.
    static func postgresEndpoint(_ settings: PostgresStoreSettings) throws(ConfigError) -> PostgresEndpoint {
        let password: String
        switch settings.password.resolve(environment: { getenv($0).map { String(cString: $0) } },
                                         readFile: TrunkCredentialResolver.readPasswordFile) {
        case .success(let text):
            password = text
        case .failure(let error):
            throw ConfigError(problems: [ConfigProblem(source: "store", keyPath: "store.\(error.key)", message: error.message)])
        }
        return PostgresEndpoint(host: settings.host, port: settings.port, user: settings.user, database: settings.database,
                                password: password, timeout: settings.timeout)
    }
}

/// The number of calls in progress, written on the loop and read by the cluster heartbeat.
final class CallCountGauge: Sendable {
    let value = Mutex(0)
}

/// Hands the cluster's decisions to the server on its loop thread; only touched there.
private final class ClusterInbox: @unchecked Sendable {
    unowned(unsafe) var server: SignallingServer?
    init(server: SignallingServer) { self.server = server }
}
