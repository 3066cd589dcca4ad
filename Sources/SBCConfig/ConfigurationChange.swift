/// One difference between the running configuration and a reloaded file, and whether a reload
/// can apply it to the running SBC.
///
/// Why classified one by one: an operator who edits several sections at once must learn exactly
/// which edits took effect and which wait for a restart, so the reload answer (admin API, `sbc ctl
/// reload`, the audit log) lists every change with its fate rather than one verdict for the file.
public struct ConfigurationChange: Sendable, Equatable, CustomStringConvertible {
    /// What happened to the item.
    public enum Kind: String, Sendable, Equatable {
        case added, removed, changed
    }

    /// When the change takes effect.
    public enum Effect: String, Sendable, Equatable {
        /// Applied by the reload: new calls use it, calls already up keep what they started with.
        case live
        /// Not applied: the running SBC keeps the old value until it is restarted.
        case restartRequired = "restart_required"
    }

    /// The top-level section (`trunks`, `routes`, `zones`, `admin` ...).
    public var section: String
    /// The named item within a list section (a trunk's, route's or token's name), or the key
    /// within a section (`listen`, `workers`); nil when the section as a whole changed.
    public var name: String?
    public var kind: Kind
    public var effect: Effect
    /// Which keys of the item differ (`port`, `health`, `codecs`), empty for added/removed items.
    public var keys: [String]

    public init(section: String, name: String? = nil, kind: Kind, effect: Effect, keys: [String] = []) {
        self.section = section
        self.name = name
        self.kind = kind
        self.effect = effect
        self.keys = keys
    }

    /// `trunks carrier-b changed (port, health): live`.
    public var description: String {
        var text = section + (name.map { " \($0)" } ?? "") + " \(kind.rawValue)"
        if !keys.isEmpty { text += " (\(keys.joined(separator: ", ")))" }
        return text + ": " + effect.rawValue
    }
}
