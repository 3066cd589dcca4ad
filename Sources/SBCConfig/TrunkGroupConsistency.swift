import Yams

/// A setting in which the members of one trunk group should agree (values of
/// `trunk_groups[].allow_differences`).
public enum GroupDifference: String, Sendable, Equatable, Hashable, CaseIterable {
    /// `codecs`: the codec order.
    case codecs
    /// `srtp.policy`.
    case srtp
    /// `transport`: TLS or not.
    case transport
    /// `100rel`.
    case reliableProvisionals = "100rel"
    /// `early_media`.
    case earlyMedia = "early_media"
    /// `dtmf` (the mode; `dtmf_info_type` is the body the SBC writes, not a carrier difference).
    case dtmf
}

extension TrunkGroupSettings {
    /// `allow_differences`: each a ``GroupDifference`` name, listed once.
    static func readAllowedDifferences(_ reader: MappingReader) -> Set<GroupDifference> {
        var allowed: Set<GroupDifference> = []
        let names = GroupDifference.allCases.map(\.rawValue)
        for item in reader.sequence("allow_differences") ?? [] {
            guard let name = MappingReader.string(item.node, at: item.path, problems: reader.problems) else { continue }
            guard let difference = GroupDifference(rawValue: name) else {
                reader.problems.report(item.path, at: item.node.mark,
                                       "must be one of \(names.joined(separator: ", ")), got \"\(name)\""
                                           + NameSuggester.hint(for: name, among: names))
                continue
            }
            allowed.insert(difference)
        }
        return allowed
    }
}

/// The trunk group consistency lint: warnings (never problems) when members of one group differ
/// in a setting that a call meets again on the next member after a failover.
///
/// Why: "mismatched configuration is the leading cause of failover failure" (the second field
/// guide, section 2): the secondary must have the primary's codec order, encryption and
/// signalling options, or the call that fails over meets a carrier set up for something else
/// (a codec the platform did not expect, an encryption the far end refuses, ringing that
/// becomes silence). Each member is compared with the group's first member (the primary); a
/// difference is reported at the other member's key (or its trunk entry when it takes the
/// default) with the lines of both trunks. `allow_differences` acknowledges a difference that is
/// deliberate, such as DTMF modes the SBC converts per leg anyway.
struct TrunkGroupConsistency {
    let config: SBCConfiguration
    let problems: ProblemCollector

    func run() {
        let trunks = Dictionary(config.trunks.enumerated().map { ($0.element.name, $0.offset) },
                                uniquingKeysWith: { first, _ in first })
        for (groupIndex, group) in config.trunkGroups.enumerated() {
            let members = group.members.compactMap { trunks[$0] }
            guard let primary = members.first else { continue }
            for other in members.dropFirst() where other != primary {
                for difference in GroupDifference.allCases where !group.allowedDifferences.contains(difference) {
                    compare(difference, primary, other, group: group, groupIndex: groupIndex)
                }
            }
        }
    }

    /// The value of `difference` on trunk `index` as the operator would write it, and the key
    /// path that sets it.
    private func setting(_ difference: GroupDifference, of index: Int) -> (value: String, keyPath: String) {
        let trunk = config.trunks[index]
        let path = "trunks[\(index)]"
        switch difference {
        case .codecs:
            return (trunk.codecs.isEmpty ? "any" : trunk.codecs.joined(separator: ", "), "\(path).codecs")
        case .srtp:
            return (trunk.srtp.policy.rawValue, "\(path).srtp.policy")
        case .transport:
            return (trunk.transport.rawValue, "\(path).transport")
        case .reliableProvisionals:
            return (trunk.reliableProvisionals.rawValue, "\(path).100rel")
        case .earlyMedia:
            return (trunk.earlyMedia.rawValue, "\(path).early_media")
        case .dtmf:
            // DTMF: the comparison is the mode alone (trunks[].dtmf, TrunkDTMFSettings).
            return (trunk.dtmf.mode.rawValue, "\(path).dtmf")
        }
    }

    /// Whether two members' values of `difference` differ in a way that matters for failover.
    private func differs(_ difference: GroupDifference, _ first: TrunkSettings, _ second: TrunkSettings) -> Bool {
        switch difference {
        case .codecs:
            // Compared without case (rtpmap names are case-insensitive) and without
            // telephone-event, which every trunk keeps whatever its list says.
            func order(_ codecs: [String]) -> [String] {
                codecs.map { $0.lowercased() }.filter { $0 != "telephone-event" }
            }
            return order(first.codecs) != order(second.codecs)
        case .srtp: return first.srtp.policy != second.srtp.policy
        case .transport: return (first.transport == .tls) != (second.transport == .tls)
        case .reliableProvisionals: return first.reliableProvisionals != second.reliableProvisionals
        case .earlyMedia: return first.earlyMedia != second.earlyMedia
        case .dtmf: return first.dtmf.mode != second.dtmf.mode
        }
    }

    private static func noun(_ difference: GroupDifference) -> String {
        switch difference {
        case .codecs: "codec order (codecs)"
        case .srtp: "SRTP policy (srtp.policy)"
        case .transport: "transport security (transport: tls or not)"
        case .reliableProvisionals: "100rel"
        case .earlyMedia: "early-media policy (early_media)"
        case .dtmf: "DTMF mode (dtmf)"
        }
    }

    private func compare(_ difference: GroupDifference, _ primary: Int, _ other: Int, group: TrunkGroupSettings,
                         groupIndex: Int) {
        let first = config.trunks[primary], second = config.trunks[other]
        guard differs(difference, first, second) else { return }
        let mine = setting(difference, of: other), theirs = setting(difference, of: primary)
        // Where each value is written: its key's line, or "(default)" at the trunk's line.
        func place(_ keyPath: String) -> String {
            problems.markIfRecorded(keyPath).map { "line \($0.line)" } ?? "default"
        }
        let trunkLine = { (index: Int) in problems.mark(of: "trunks[\(index)]").map { "line \($0.line)" } ?? "?" }
        let groupLine = problems.mark(of: "trunk_groups[\(groupIndex)]").map { ", line \($0.line)" } ?? ""
        let location = problems.markIfRecorded(mine.keyPath) != nil ? mine.keyPath : "trunks[\(other)]"
        problems.warn(location,
                      "trunk \"\(second.name)\" (trunks[\(other)], \(trunkLine(other))) and trunk \"\(first.name)\" "
                          + "(trunks[\(primary)], \(trunkLine(primary))) of trunk group \"\(group.name)\" "
                          + "(trunk_groups[\(groupIndex)]\(groupLine)) differ in \(Self.noun(difference)): "
                          + "\(mine.value) (\(place(mine.keyPath))) vs \(theirs.value) "
                          + "(\(place(theirs.keyPath))); a call that fails over meets a carrier set "
                          + "up differently, the leading cause of failover failure; make them agree, or list "
                          + "\"\(difference.rawValue)\" in the group's allow_differences if it is deliberate")
    }
}
