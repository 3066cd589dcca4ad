import Routing
import SBCConfig
import Synchronization

/// One trunk's settings, held once and shared by every call leg (and every call's active trunk)
/// on that trunk.
///
/// Why: `TrunkSettings` is a large value (about 830 bytes inline: profiles, health, policies),
/// and each call kept three copies of it inline (the caller's leg, the carrier leg, the active
/// trunk), about 2.5 KiB of the call's memory (issue 15: RSS per established call). A call leg
/// now holds one reference to a box that every leg on the same trunk configuration shares.
///
/// The boxes are interned by trunk name and compared whole before reuse, so a reload that
/// changes a trunk hands new legs a new box while calls already up keep theirs (the settings
/// they were set up with, as before). The table holds one box per trunk name ever seen; its
/// lock is taken once per leg created, never per message.
final class SharedTrunkSettings: Sendable {
    let settings: TrunkSettings

    private init(_ settings: TrunkSettings) { self.settings = settings }

    private static let interned = Mutex<[String: SharedTrunkSettings]>([:])

    /// The shared box for `settings`: the interned one when its settings are equal, else a new
    /// one that replaces it in the table.
    static func shared(_ settings: TrunkSettings) -> SharedTrunkSettings {
        interned.withLock { table in
            if let box = table[settings.name], box.settings == settings { return box }
            let box = SharedTrunkSettings(settings)
            table[settings.name] = box
            return box
        }
    }
}

/// A route decision without its candidates, held once and shared by every call on that route
/// with the same settings: about 340 bytes a call inline (the trunk group's settings), issue 15.
/// Interned like ``SharedTrunkSettings``, by route name and compared whole.
final class SharedRouteDecision: Sendable {
    let decision: RouteDecision

    private init(_ decision: RouteDecision) { self.decision = decision }

    private static let interned = Mutex<[String: SharedRouteDecision]>([:])

    /// The shared box for `decision` less its candidates (``Call/route`` keeps none).
    static func shared(_ decision: RouteDecision) -> SharedRouteDecision {
        var decision = decision
        decision.candidates = []
        return interned.withLock { table in
            if let box = table[decision.routeName], box.decision == decision { return box }
            let box = SharedRouteDecision(decision)
            table[decision.routeName] = box
            return box
        }
    }
}
