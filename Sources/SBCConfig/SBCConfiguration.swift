/// The whole, validated configuration of one SBC node, as loaded from YAML by ``ConfigLoader``.
///
/// Why one immutable value: the server reads it at startup (and on reload builds a new one and
/// swaps it in whole), so every component sees one consistent configuration, never a half-applied
/// edit. A value returned by ``ConfigLoader`` has passed every check in docs/CONFIG.md: names are
/// unique, every reference (trunk → zone, group → trunks, route → trunk/group/zone) resolves, and
/// every route is reachable; code using it may rely on that and need not re-check.
///
/// The YAML sections map one to one onto the properties; keys are snake_case and time keys carry
/// their unit (`t1_ms`, `drain_s`). Every optional key has a default, documented on its property
/// and in `conf/sbc.example.yaml`.
public struct SBCConfiguration: Sendable, Equatable {
    /// Identity and state directory of this node (section `node`, optional).
    public var node: NodeSettings

    /// SIP timers and limits (section `sip`, optional; RFC 3261 defaults).
    public var sip: SIPSettings

    /// Listening zones (list `zones`, required, at least one). Order does not matter.
    public var zones: [ZoneSettings]

    /// SIP peers (list `trunks`, required, at least one). Order does not matter.
    public var trunks: [TrunkSettings]

    /// Failover groups of trunks (list `trunk_groups`, optional, default none).
    public var trunkGroups: [TrunkGroupSettings]

    /// Routing table (list `routes`, required, at least one). Order matters: first match wins.
    public var routes: [RouteSettings]

    /// What happens to calls no route matches (section `routing`, optional).
    public var routing: RoutingSettings

    /// Header rewrite profiles (list `profiles`, optional, default none), referenced by name from
    /// `trunks[].profile`, `trunks[].inbound_profile` and `routes[].profile`. Order does not matter.
    public var profiles: [ProfileSettings]

    /// Admission of traffic from unknown sources (section `security`, optional).
    public var security: SecuritySettings

    /// Overload control: calls-per-second ceiling, load thresholds, 503 Retry-After (section
    /// `overload`, optional; docs/OVERLOAD.md).
    public var overload = OverloadSettings()

    /// Graceful shutdown (section `shutdown`, optional).
    public var shutdown: ShutdownSettings

    /// Established calls that survive a restart (section `recovery`, optional; docs/RESTART.md).
    public var recovery = RecoverySettings()

    /// Where CDRs, the audit log and operator state live: the node's SQLite file or a PostgreSQL
    /// database shared by a cluster (section `store`, optional; docs/CLUSTER.md).
    public var store = StoreSettings()

    /// Log level and format (section `logging`, optional).
    public var logging: LoggingSettings

    /// The admin REST API: listen address and bearer tokens (section `admin`, optional; default
    /// enabled on 127.0.0.1:8080 with no tokens).
    public var admin: AdminSettings

    /// Webhook alerts on trunk state changes (section `alerts`, optional; default none).
    public var alerts: AlertSettings

    /// The RTP/RTCP relay: port range, workers, media timeouts, latching (section `media`,
    /// optional; default enabled on ports 10000-32767, below Linux's ephemeral range, with a 4 s
    /// timeout).
    public var media: MediaSettings

    /// SIP over TLS as a whole: handshake timeout and certificate expiry alerts (section `tls`,
    /// optional). Listeners are configured per zone, peers per trunk.
    public var tls: TLSSettings

    /// Creates a configuration in code (tests, tools). It is not validated: only
    /// ``ConfigLoader`` guarantees the invariants listed above.
    public init(node: NodeSettings = NodeSettings(),
                sip: SIPSettings = SIPSettings(),
                zones: [ZoneSettings] = [],
                trunks: [TrunkSettings] = [],
                trunkGroups: [TrunkGroupSettings] = [],
                routes: [RouteSettings] = [],
                routing: RoutingSettings = RoutingSettings(),
                profiles: [ProfileSettings] = [],
                security: SecuritySettings = SecuritySettings(),
                shutdown: ShutdownSettings = ShutdownSettings(),
                logging: LoggingSettings = LoggingSettings(),
                admin: AdminSettings = AdminSettings(),
                alerts: AlertSettings = AlertSettings(),
                media: MediaSettings = MediaSettings(),
                tls: TLSSettings = TLSSettings()) {
        self.node = node
        self.sip = sip
        self.zones = zones
        self.trunks = trunks
        self.trunkGroups = trunkGroups
        self.routes = routes
        self.routing = routing
        self.profiles = profiles
        self.security = security
        self.shutdown = shutdown
        self.logging = logging
        self.admin = admin
        self.alerts = alerts
        self.media = media
        self.tls = tls
    }

    // MARK: - Lookups

    /// The trunk called `name`, if any. Names are unique in a loaded configuration.
    public func trunk(named name: String) -> TrunkSettings? {
        trunks.first { $0.name == name }
    }

    /// The zone called `name`, if any.
    public func zone(named name: String) -> ZoneSettings? {
        zones.first { $0.name == name }
    }

    /// The trunk group called `name`, if any.
    public func trunkGroup(named name: String) -> TrunkGroupSettings? {
        trunkGroups.first { $0.name == name }
    }

    /// The route called `name`, if any.
    public func route(named name: String) -> RouteSettings? {
        routes.first { $0.name == name }
    }

    /// The profile called `name`, if any. In a loaded configuration every profile a trunk or route
    /// names exists.
    public func profile(named name: String) -> ProfileSettings? {
        profiles.first { $0.name == name }
    }

    /// The outbound profile for a call on `route` sent to `trunk`: the route's `profile` when it
    /// has one, otherwise the trunk's. Nil when neither names one.
    public func outboundProfile(route: RouteSettings?, trunk: TrunkSettings) -> ProfileSettings? {
        (route?.profile ?? trunk.profile).flatMap(profile(named:))
    }

    /// The trunks of zone `name`, in file order.
    public func trunks(inZone name: String) -> [TrunkSettings] {
        trunks.filter { $0.zone == name }
    }

    /// The trunks a route target resolves to, in priority order: one trunk, or a group's members.
    /// Empty when the target names nothing (only possible in a configuration built in code).
    public func trunks(for target: RouteSettings.Target) -> [TrunkSettings] {
        switch target {
        case let .trunk(name):
            return trunk(named: name).map { [$0] } ?? []
        case let .trunkGroup(name):
            return trunkGroup(named: name)?.members.compactMap { trunk(named: $0) } ?? []
        }
    }

    /// One line for `sbc check-config` and the startup log:
    /// `node "lab-sbc": 2 zones, 3 trunks, 1 trunk group, 3 routes, 1 profile` (profiles only when
    /// there are any, so that configurations without them read as before).
    public var summary: String {
        func count(_ number: Int, _ noun: String) -> String {
            "\(number) \(noun)\(number == 1 ? "" : "s")"
        }
        return "node \"\(node.name)\": " + [
            count(zones.count, "zone"), count(trunks.count, "trunk"),
            count(trunkGroups.count, "trunk group"), count(routes.count, "route"),
        ].joined(separator: ", ") + (profiles.isEmpty ? "" : ", " + count(profiles.count, "profile"))
    }
}
