/// The differences between the running configuration and a newly loaded one, each classified as
/// applied live or needing a restart, and the configuration the SBC runs with after the reload.
///
/// Sans-IO and pure: the server loads and validates the file, builds this, and applies
/// ``effective``; tests feed it two values. docs/RELOAD.md has the table of what is live.
///
/// Why some sections wait for a restart: zones, `sip` and `admin.listen` are sockets and
/// transaction timers opened at start; `media` owns the relay's threads and port slices;
/// `node.state_directory` is the open database; `logging` is bootstrapped once per process;
/// `tls` holds the handshake timeout and expiry watch built at start. Everything a new call reads
/// (routes, trunks, groups, profiles, routing and security policy, drain time, alerts, tokens)
/// is live. A trunk's `register` binding is created at start, so it too waits for a restart.
public struct ConfigurationDiff: Sendable {
    /// Every difference, in section order, then by name.
    public let changes: [ConfigurationChange]
    /// The configuration to run with: the loaded one, with every restart-only value kept from
    /// the running one.
    public let effective: SBCConfiguration

    /// Sections whose changes are applied live.
    static let liveSections: Set<String> = [
        "trunks", "trunk_groups", "routes", "routing", "profiles", "security", "shutdown", "alerts", "admin.tokens",
    ]

    public init(running: SBCConfiguration, loaded: SBCConfiguration) {
        var changes: [ConfigurationChange] = []
        changes += Self.sectionChanges("node", running.node, loaded.node)
        changes += Self.sectionChanges("sip", running.sip, loaded.sip)
        changes += Self.listChanges("zones", running.zones, loaded.zones, name: \.name)
        changes += Self.trunkChanges(running.trunks, loaded.trunks)
        changes += Self.listChanges("trunk_groups", running.trunkGroups, loaded.trunkGroups, name: \.name)
        changes += Self.listChanges("routes", running.routes, loaded.routes, name: \.name)
        if running.routes.map(\.name) != loaded.routes.map(\.name),
           Set(running.routes.map(\.name)) == Set(loaded.routes.map(\.name))
        {
            changes.append(ConfigurationChange(section: "routes", kind: .changed, effect: .live, keys: ["order"]))
        }
        changes += Self.sectionChanges("routing", running.routing, loaded.routing)
        changes += Self.listChanges("profiles", running.profiles, loaded.profiles, name: \.name)
        changes += Self.sectionChanges("security", running.security, loaded.security)
        changes += Self.sectionChanges("shutdown", running.shutdown, loaded.shutdown)
        changes += Self.sectionChanges("logging", running.logging, loaded.logging)
        changes += Self.adminChanges(running.admin, loaded.admin)
        changes += Self.sectionChanges("alerts", running.alerts, loaded.alerts)
        changes += Self.sectionChanges("media", running.media, loaded.media)
        changes += Self.sectionChanges("tls", running.tls, loaded.tls)
        changes += Self.sectionChanges("store", running.store, loaded.store)
        changes += Self.unclassifiedChanges(running, loaded)
        self.changes = changes

        var effective = loaded
        effective.node = running.node
        effective.sip = running.sip
        effective.zones = running.zones
        effective.logging = running.logging
        effective.media = running.media
        effective.tls = running.tls
        effective.store = running.store
        effective.admin.enabled = running.admin.enabled
        effective.admin.listenAddress = running.admin.listenAddress
        for index in effective.trunks.indices {
            if let old = running.trunk(named: effective.trunks[index].name) {
                effective.trunks[index].register = old.register
            }
        }
        self.effective = effective
    }

    /// Nothing differs: the reload changes nothing.
    public var isEmpty: Bool { changes.isEmpty }
    /// The changes the reload applies.
    public var live: [ConfigurationChange] { changes.filter { $0.effect == .live } }
    /// The changes that wait for a restart.
    public var restartRequired: [ConfigurationChange] { changes.filter { $0.effect == .restartRequired } }

    /// Whether ``effective`` holds together: the loaded file passed every check on its own, but
    /// with the restart-only values kept (old zones, old media ports) a live change may depend on
    /// one that is not applied, such as a trunk in a zone the file adds. Each problem names the
    /// key and says that the restart-only change must come first.
    public func problems(source: String) -> [ConfigProblem] {
        let collector = ProblemCollector(source: source)
        ConfigValidator(config: effective, problems: collector).run()
        return collector.sortedProblems().map { problem in
            var problem = problem
            problem.message += " (with the running values of the sections that need a restart: "
                + "restart the SBC to apply this file)"
            return problem
        }
    }

    // MARK: - Classification

    private static func effect(of section: String) -> ConfigurationChange.Effect {
        liveSections.contains(section) ? .live : .restartRequired
    }

    /// A whole section compared key by key.
    private static func sectionChanges<Section: Equatable>(_ section: String, _ old: Section, _ new: Section)
        -> [ConfigurationChange]
    {
        guard old != new else { return [] }
        return [ConfigurationChange(section: section, kind: .changed, effect: effect(of: section),
                                    keys: differingKeys(old, new))]
    }

    /// A list of named items, matched by name.
    private static func listChanges<Item: Equatable>(_ section: String, _ old: [Item], _ new: [Item],
                                                     name: (Item) -> String) -> [ConfigurationChange]
    {
        let effect = effect(of: section)
        let oldByName = Dictionary(old.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
        let newByName = Dictionary(new.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [ConfigurationChange] = []
        for item in old where newByName[name(item)] == nil {
            changes.append(ConfigurationChange(section: section, name: name(item), kind: .removed, effect: effect))
        }
        for item in new {
            guard let previous = oldByName[name(item)] else {
                changes.append(ConfigurationChange(section: section, name: name(item), kind: .added, effect: effect))
                continue
            }
            if previous != item {
                changes.append(ConfigurationChange(section: section, name: name(item), kind: .changed, effect: effect,
                                                   keys: differingKeys(previous, item)))
            }
        }
        return changes
    }

    /// Trunks are live except their `register` binding, reported apart.
    private static func trunkChanges(_ old: [TrunkSettings], _ new: [TrunkSettings]) -> [ConfigurationChange] {
        var changes: [ConfigurationChange] = []
        for change in listChanges("trunks", old, new, name: \.name) {
            guard change.kind == .changed, change.keys.contains("register") else {
                changes.append(change)
                continue
            }
            var live = change
            live.keys.removeAll { $0 == "register" }
            if !live.keys.isEmpty { changes.append(live) }
            changes.append(ConfigurationChange(section: "trunks", name: change.name, kind: .changed,
                                               effect: .restartRequired, keys: ["register"]))
        }
        return changes
    }

    /// The properties of ``SBCConfiguration`` compared above, by name.
    static let classified: Set<String> = [
        "node", "sip", "zones", "trunks", "trunkGroups", "routes", "routing", "profiles", "security", "shutdown",
        "logging", "admin", "alerts", "media", "tls", "store",
    ]

    /// Sections added to the configuration after this classifier: reported as needing a restart
    /// (what reads them at start does not see a reload), so an operator is never told a change
    /// is live when it may not be.
    private static func unclassifiedChanges(_ old: SBCConfiguration, _ new: SBCConfiguration) -> [ConfigurationChange] {
        let after = Array(Mirror(reflecting: new).children)
        var changes: [ConfigurationChange] = []
        for (index, child) in Mirror(reflecting: old).children.enumerated() where index < after.count {
            guard let label = child.label, !classified.contains(label),
                  String(describing: child.value) != String(describing: after[index].value)
            else { continue }
            changes.append(ConfigurationChange(section: snakeCase(label), kind: .changed, effect: .restartRequired,
                                               keys: differingKeys(child.value, after[index].value)))
        }
        return changes
    }

    /// Tokens are live; whether the API listens, and where, is not.
    private static func adminChanges(_ old: AdminSettings, _ new: AdminSettings) -> [ConfigurationChange] {
        var changes = listChanges("admin.tokens", old.tokens, new.tokens, name: \.name)
        var keys: [String] = []
        if old.enabled != new.enabled { keys.append("enabled") }
        if old.listenAddress != new.listenAddress { keys.append("listen") }
        if !keys.isEmpty {
            changes.insert(ConfigurationChange(section: "admin", kind: .changed, effect: .restartRequired, keys: keys),
                           at: 0)
        }
        return changes
    }

    /// The stored properties that differ, in declaration order, in the file's snake_case. Compared
    /// through their descriptions: only called on two values already known to differ, to name
    /// the keys for the operator.
    static func differingKeys<Value>(_ old: Value, _ new: Value) -> [String] {
        let before = Mirror(reflecting: old).children
        let after = Array(Mirror(reflecting: new).children)
        var keys: [String] = []
        for (index, child) in before.enumerated() where index < after.count {
            guard let label = child.label, String(describing: child.value) != String(describing: after[index].value)
            else { continue }
            keys.append(snakeCase(label))
        }
        return keys
    }

    /// `listenAddress` -> `listen_address`.
    static func snakeCase(_ name: String) -> String {
        var text = ""
        for character in name {
            if character.isUppercase {
                text += "_" + character.lowercased()
            } else {
                text.append(character)
            }
        }
        return text
    }
}
