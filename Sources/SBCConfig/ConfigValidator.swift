import SDP
import SIPCore
/// Checks that need the whole configuration: unique names, references between sections,
/// socket collisions and route reachability.
///
/// Why separate from the section readers: a reader sees one mapping, while "does this trunk's zone
/// exist" needs every zone, wherever it is in the file. The readers build the typed model first
/// (with placeholders for values they could not read, so list indexes still match the file), then
/// this runs over the model and locates each problem through the marks the readers recorded in the
/// ``ProblemCollector``. Empty names are placeholders for values already reported, so they are
/// skipped here rather than reported a second time.
struct ConfigValidator {
    let config: SBCConfiguration
    let problems: ProblemCollector

    /// Every trunk's `profile` and `inbound_profile` and every route's `profile` names a profile.
    private func checkProfileReferences() {
        let profileNames = names(config.profiles.map(\.name), list: "profiles")
        for (index, trunk) in config.trunks.enumerated() {
            checkReference(trunk.profile, at: "trunks[\(index)].profile", noun: "profile", known: profileNames)
            checkReference(trunk.inboundProfile, at: "trunks[\(index)].inbound_profile", noun: "profile",
                           known: profileNames)
        }
        for (index, route) in config.routes.enumerated() {
            checkReference(route.profile, at: "routes[\(index)].profile", noun: "profile", known: profileNames)
        }
    }

    /// Runs every check, reporting into `problems`.
    func run() {
        checkUniqueNames(config.zones.map(\.name), list: "zones", noun: "zone")
        checkUniqueNames(config.trunks.map(\.name), list: "trunks", noun: "trunk")
        checkUniqueNames(config.trunkGroups.map(\.name), list: "trunk_groups", noun: "trunk group")
        checkUniqueNames(config.routes.map(\.name), list: "routes", noun: "route")
        checkUniqueNames(config.profiles.map(\.name), list: "profiles", noun: "profile")
        checkZoneBinds()
        checkTrunks()
        checkTrunkGroups()
        checkRoutes()
        checkProfileReferences()
        checkMediaPorts()
        checkMediaProbes()
    }

    /// A media probe's RTP leaves from the relay's port range on the zone's media address and is
    /// plain RTP (docs/HEALTH.md, "Media-path probes"): it needs media anchoring, and a trunk
    /// that takes RTP/AVP.
    private func checkMediaProbes() {
        for (index, trunk) in config.trunks.enumerated() where trunk.health.mediaProbe != nil {
            let path = "trunks[\(index)].health.media_probe"
            if !config.media.enabled {
                problems.report(path, "needs media anchoring (media.enabled: true): the probe's RTP is sent "
                                    + "from the media relay's port range")
            } else if trunk.srtp.policy == .required {
                problems.report(path, "sends plain RTP, which this trunk's srtp policy (required) refuses; "
                                    + "probe a trunk that takes RTP/AVP")
            }
        }
    }

    /// The relay binds every port of `media.port_min`-`port_max` on each zone's media address
    /// sooner or later; a SIP port inside that range on the same address would make calls fail
    /// at random when the relay reaches it.
    private func checkMediaPorts() {
        let media = config.media
        guard media.enabled, media.portMin <= media.portMax else { return }
        for (index, zone) in config.zones.enumerated() where zone.effectiveMediaAddress == zone.bind
            || IPAddressLiteral(zone.bind)?.isWildcard == true
        {
            if let port = zone.udpPort, (media.portMin...media.portMax).contains(Int(port)) {
                problems.report("zones[\(index)].udp_port",
                                "\(port) is inside the media port range \(media.portMin)-\(media.portMax) "
                                    + "(section media); move the SIP port or the range")
            }
        }
    }

    // MARK: - Names and references

    /// Reports every repeat of a name at the repeat, naming where it was first used.
    private func checkUniqueNames(_ names: [String], list: String, noun: String) {
        var first: [String: Int] = [:]
        for (index, name) in names.enumerated() where !name.isEmpty {
            if let earlier = first[name] {
                problems.report("\(list)[\(index)].name",
                                "duplicate \(noun) name \"\(name)\"; \(where_(list, earlier)) already uses it")
            } else {
                first[name] = index
            }
        }
    }

    /// The usable names of a list, and whether they are all there: when some name is missing or
    /// invalid (already reported), a reference to an unknown name may well mean that one, so
    /// "no such name" problems are left out rather than guessed.
    func names(_ all: [String], list: String) -> (names: [String], complete: Bool) {
        var complete = !problems.hasProblem(at: list)  // a missing or malformed list is incomplete
        var names: [String] = []
        for (index, name) in all.enumerated() {
            if name.isEmpty || problems.hasProblem(at: "\(list)[\(index)].name") {
                complete = false
            } else {
                names.append(name)
            }
        }
        return (names, complete)
    }

    /// Reports `name` at `path` unless it is one of `known`; returns whether it resolved.
    /// Placeholders (empty names) and references into an incomplete list are not reported.
    @discardableResult
    func checkReference(_ name: String?, at path: String, noun: String,
                                known: (names: [String], complete: Bool)) -> Bool {
        guard let name, !name.isEmpty else { return false }
        if known.names.contains(name) { return true }
        guard known.complete else { return false }
        let known = known.names
        var message = "no \(noun) named \"\(name)\""
        let hint = NameSuggester.hint(for: name, among: known)
        if !hint.isEmpty {
            message += hint
        } else if known.isEmpty {
            message += " (none is defined)"
        } else if known.count <= 8 {
            message += " (defined: \(known.joined(separator: ", ")))"
        }
        problems.report(path, message)
        return false
    }

    /// `zones[0] (line 18)`, or just `zones[0]` when the line is unknown.
    private func where_(_ list: String, _ index: Int) -> String {
        let path = "\(list)[\(index)]"
        guard let line = problems.mark(of: path)?.line else { return path }
        return "\(path) (line \(line))"
    }

    // MARK: - Zones

    /// Two listeners may not bind the same address, port and socket type, and a wildcard bind
    /// (`0.0.0.0`, `::`) covers every address of its family, so it collides with any specific
    /// address on the same port: the kernel would refuse the second bind at startup, which is
    /// exactly the failure check-config exists to prevent. TCP and TLS listeners are both TCP
    /// sockets, so they collide with each other too, within a zone as across zones.
    private func checkZoneBinds() {
        for transports in [[TransportProtocol.udp], [.tcp, .tls]] {
            var bound: [(index: Int, transport: TransportProtocol, address: IPAddressLiteral, port: UInt16)] = []
            for (index, zone) in config.zones.enumerated() {
                for transport in transports {
                    guard let port = zone.port(for: transport), let address = IPAddressLiteral(zone.bind) else { continue }
                    if let clash = bound.first(where: { other in
                        other.port == port && other.address.family == address.family
                            && (other.address == address || other.address.isWildcard || address.isWildcard)
                    }) {
                        let other = config.zones[clash.index]
                        let overlap = clash.address == address ? "" : " (a wildcard bind covers every address of its family)"
                        problems.report("zones[\(index)].\(transport.rawValue)_port",
                                        "zone \"\(zone.name)\" would bind \(endpoint(zone.bind, port))/\(transport.rawValue), "
                                            + "which zone \"\(other.name)\" at \(where_("zones", clash.index)) already binds "
                                            + "as \(endpoint(other.bind, port))/\(clash.transport.rawValue)\(overlap)")
                    } else {
                        bound.append((index, transport, address, port))
                    }
                }
            }
        }
    }

    private func endpoint(_ address: String, _ port: UInt16) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    // MARK: - Trunks

    /// Each trunk's zone must exist and listen on the trunk's transport; no two trunks may share
    /// address, port and transport, since traffic from them could not be attributed.
    private func checkTrunks() {
        let zoneNames = names(config.zones.map(\.name), list: "zones")
        var peers: [(index: Int, address: IPAddressLiteral, port: UInt16, transport: TransportProtocol)] = []
        for (index, trunk) in config.trunks.enumerated() {
            let path = "trunks[\(index)]"
            if checkReference(trunk.zone, at: "\(path).zone", noun: "zone", known: zoneNames),
               let zoneIndex = config.zones.firstIndex(where: { $0.name == trunk.zone }),
               case let zone = config.zones[zoneIndex], zone.port(for: trunk.transport) == nil,
               !problems.hasProblem(at: "zones[\(zoneIndex)]"),
               !problems.hasProblem(at: "zones[\(zoneIndex)].\(trunk.transport.rawValue)_port") {
                // (A zone listening on nothing, or with an invalid port, is reported already.)
                problems.report("\(path).transport",
                                "trunk \"\(trunk.name)\" uses \(trunk.transport.rawValue) but zone \"\(zone.name)\" "
                                    + "has no \(trunk.transport.rawValue)_port")
            }
            guard let address = IPAddressLiteral(trunk.address) else { continue }
            if let twin = peers.first(where: {
                $0.address == address && $0.port == trunk.port && $0.transport == trunk.transport
            }) {
                problems.report("\(path).address",
                                "trunk \"\(trunk.name)\" has the same address, port and transport as trunk "
                                    + "\"\(config.trunks[twin.index].name)\" at \(where_("trunks", twin.index)); "
                                    + "the SBC could not tell their traffic apart")
            } else {
                peers.append((index, address, trunk.port, trunk.transport))
            }
        }
    }

    // MARK: - Trunk groups

    /// Members must be defined trunks, each listed once (a repeat would make failover retry the
    /// same trunk, doubling the time to reach the next one).
    private func checkTrunkGroups() {
        let trunkNames = names(config.trunks.map(\.name), list: "trunks")
        for (index, group) in config.trunkGroups.enumerated() {
            var first: [String: Int] = [:]
            for (position, member) in group.members.enumerated() where !member.isEmpty {
                let path = "trunk_groups[\(index)].members[\(position)]"
                if let earlier = first[member] {
                    problems.report(path, "trunk \"\(member)\" is already listed at members[\(earlier)]")
                    continue
                }
                first[member] = position
                checkReference(member, at: path, noun: "trunk", known: trunkNames)
            }
            if let overflow = group.overflow {
                let path = "trunk_groups[\(index)].overflow"
                if group.members.contains(overflow) {
                    problems.report(path, "trunk \"\(overflow)\" is a member of this group; the overflow destination "
                        + "must be another trunk (an announcement server or overflow carrier)")
                } else {
                    checkReference(overflow, at: path, noun: "trunk", known: trunkNames)
                }
            }
        }
    }

    // MARK: - Routes

    /// References, exactly one destination, consistent match keys, and reachability.
    private func checkRoutes() {
        let zoneNames = names(config.zones.map(\.name), list: "zones")
        let trunkNames = names(config.trunks.map(\.name), list: "trunks")
        let groupNames = names(config.trunkGroups.map(\.name), list: "trunk_groups")

        for (index, route) in config.routes.enumerated() {
            let path = "routes[\(index)]"
            let trunkKnown = checkReference(route.fromTrunk, at: "\(path).from_trunk", noun: "trunk", known: trunkNames)
            let zoneKnown = checkReference(route.fromZone, at: "\(path).from_zone", noun: "zone", known: zoneNames)
            if trunkKnown, zoneKnown, let fromTrunk = route.fromTrunk, let fromZone = route.fromZone,
               let trunk = config.trunk(named: fromTrunk), trunk.zone != fromZone {
                problems.report("\(path).from_zone",
                                "trunk \"\(fromTrunk)\" is in zone \"\(trunk.zone)\", not \"\(fromZone)\", "
                                    + "so this route can never match")
            }

            switch (route.trunk, route.trunkGroup) {
            case (nil, nil):
                problems.report(path, "route \"\(route.name)\" needs a destination: set trunk or trunk_group")
            case (_?, _?):
                problems.report("\(path).trunk_group",
                                "a route sends to exactly one destination: set trunk or trunk_group, not both")
            case let (trunk?, nil):
                if !trunk.isEmpty, !trunkNames.names.contains(trunk), groupNames.names.contains(trunk) {
                    problems.report("\(path).trunk", "\"\(trunk)\" is a trunk group; write trunk_group: \(trunk)")
                } else {
                    checkReference(trunk, at: "\(path).trunk", noun: "trunk", known: trunkNames)
                }
                if route.critical {
                    // Mid-call failover needs another member to move to; without one `critical`
                    // would silently do nothing.
                    problems.report("\(path).critical",
                                    "critical: true needs a trunk_group to fail over within; route \"\(route.name)\" "
                                        + "sends to the single trunk \"\(trunk)\"")
                }
            case let (nil, group?):
                if !group.isEmpty, !groupNames.names.contains(group), trunkNames.names.contains(group) {
                    problems.report("\(path).trunk_group", "\"\(group)\" is a trunk, not a trunk group; write trunk: \(group)")
                } else {
                    checkReference(group, at: "\(path).trunk_group", noun: "trunk group", known: groupNames)
                }
            }
        }
        checkReachability()
    }

    /// First match wins, so a route that matches everything a later route matches makes the later
    /// one dead. The typical case is a default route (no match keys) that is not last; another is a
    /// `from_trunk` route above a more specific `request_user_prefix` route for the same trunk.
    private func checkReachability() {
        let zoneOfTrunk: (String) -> String? = { name in config.trunk(named: name)?.zone }
        for (index, route) in config.routes.enumerated() {
            guard let earlier = config.routes[..<index].firstIndex(where: { $0.shadows(route, zoneOfTrunk: zoneOfTrunk) })
            else { continue }
            let shadow = config.routes[earlier]
            let reason = shadow.isDefault
                ? "has no match keys and catches every call; only the last route may be a default route"
                : "matches every call this route matches (first match wins)"
            problems.report("routes[\(index)]",
                            "route \"\(route.name)\" is unreachable: route \"\(shadow.name)\" at "
                                + "\(where_("routes", earlier)) \(reason)")
        }
    }
}
