import Yams

/// Identity and local storage of this SBC instance (YAML section `node`).
///
/// Why a section of its own: these are the only settings that differ between otherwise identical
/// nodes of a pair or cluster, so keeping them together makes "copy the config, change `node`" the
/// whole procedure for adding a node.
public struct NodeSettings: Sendable, Equatable {
    /// Name of this instance (key `name`, default `"sbc"`).
    ///
    /// Why: it is written into every log line and CDR so that records from several nodes can be
    /// told apart after they are merged, and it is the product token of the `User-Agent`/`Server`
    /// header the SBC sends, which carriers' support staff quote back in tickets. It must therefore
    /// be a SIP token: 1-64 of letters, digits and `-.!%*_+`'~`.
    public var name: String

    /// Directory for the node's persistent state (key `state_dir`, default `"./state"`): the SQLite
    /// databases of CDRs, the audit log and trunk state.
    ///
    /// Why configurable and relative by default: two instances started from different working
    /// directories (the lab, tests, a canary next to production) must never share a database, and a
    /// relative default gives that for free; production configs set an absolute path such as
    /// `/var/lib/sbc`.
    public var stateDirectory: String

    /// The defaults documented on each property.
    public static let defaultName = "sbc"
    public static let defaultStateDirectory = "./state"

    /// Creates node settings; every argument defaults to the documented default.
    public init(name: String = NodeSettings.defaultName,
                stateDirectory: String = NodeSettings.defaultStateDirectory) {
        self.name = name
        self.stateDirectory = stateDirectory
    }
}

extension NodeSettings {
    /// The keys of the `node` section, for unknown-key detection and suggestions.
    static let keys = ["name", "state_dir"]

    /// Reads the `node` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> NodeSettings {
        var settings = NodeSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }

        if let name = reader.string("name") {
            if isSIPToken(name), name.count <= 64 {
                settings.name = name
            } else {
                problems.report(reader.path("name"),
                                "must be 1-64 characters usable in a SIP header token "
                                    + "(letters, digits, -.!%*_+`'~), got \(MappingReader.describe(.init(name)))")
            }
        }
        if let directory = reader.string("state_dir") {
            if directory.isEmpty || directory.contains("\0") {
                problems.report(reader.path("state_dir"), "must be a non-empty directory path")
            } else {
                settings.stateDirectory = directory
            }
        }
        return settings
    }

    /// RFC 3261 `token`: the characters allowed in the product name of `User-Agent`/`Server`.
    static func isSIPToken(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { character in
            character.isASCII && (character.isLetter || character.isNumber || "-.!%*_+`'~".contains(character))
        }
    }
}
