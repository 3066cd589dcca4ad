import Yams

/// RFC 4028 session timers on one trunk's legs (key `trunks[].session_timer`, a mapping,
/// optional; default off).
///
/// Why per trunk and terminated at the SBC: a B2BUA holds two dialogs, and a dialog whose peer
/// vanished (a carrier that lost the call, a platform that crashed) stays up until something
/// notices. With session timers on, the SBC negotiates Session-Expires with this trunk's leg,
/// refreshes it itself when it is the refresher, and ends the call (or, on a critical line, fails
/// the carrier leg over) when the peer that should refresh does not. Each leg's timer is its own:
/// a platform refreshing every 15 minutes and a carrier asking for 90 s both get what they asked.
public struct SessionTimerSettings: Sendable, Equatable {
    /// Who should refresh this trunk's sessions (key `refresher`, default `sbc`).
    public enum Refresher: String, Sendable, Equatable, CaseIterable {
        /// The SBC refreshes (it asks for `refresher=uac` as caller, answers `refresher=uas` as
        /// callee): the SBC knows at once when the trunk stops answering.
        case sbc
        /// The trunk refreshes; the SBC ends the session when no refresh comes in time.
        case peer
        /// The trunk may choose; when it does not, the SBC refreshes.
        case either
    }

    /// Session timers on this trunk's legs (key `enabled`, default false). Off, the SBC neither
    /// asks for nor runs a timer on these legs, and when neither leg of a call has them, the
    /// headers cross end to end as before.
    public var enabled: Bool
    /// The session interval the SBC asks for and the longest it accepts (key
    /// `session_expires_s`, default 1800, range 2-86400, at least `min_se_s`).
    public var sessionExpires: Duration
    /// The shortest interval the SBC accepts (key `min_se_s`, default 90, range 2-86400): a
    /// request asking for less gets `422 Session Interval Too Small` with this Min-SE.
    ///
    /// Why values below RFC 4028's floor of 90 s are accepted at all: a lab or a test that must
    /// see a session expire in seconds. Real peers answer a Min-SE below 90 with 422 (the SBC then
    /// asks for theirs), so a production value below 90 only costs a round trip.
    public var minSE: Duration
    /// Who refreshes (key `refresher`, default `sbc`).
    public var refresher: Refresher

    public static let defaultSessionExpires: Duration = .seconds(1800)
    /// RFC 4028 §4: Min-SE is never below 90 s.
    public static let defaultMinSE: Duration = .seconds(90)

    public init(enabled: Bool = false, sessionExpires: Duration = defaultSessionExpires,
                minSE: Duration = defaultMinSE, refresher: Refresher = .sbc) {
        self.enabled = enabled
        self.sessionExpires = sessionExpires
        self.minSE = minSE
        self.refresher = refresher
    }

    static let keys = ["enabled", "session_expires_s", "min_se_s", "refresher"]
    public static let range = 2...86400

    static func read(_ trunk: MappingReader) -> SessionTimerSettings? {
        trunk.nested("session_timer", keys: keys) { reader in
            var settings = SessionTimerSettings()
            settings.enabled = reader.boolean("enabled") ?? settings.enabled
            let expires = reader.seconds("session_expires_s", in: range)
            let minimum = reader.seconds("min_se_s", in: range)
            settings.sessionExpires = expires ?? settings.sessionExpires
            settings.minSE = minimum ?? settings.minSE
            settings.refresher = reader.choice("refresher") ?? settings.refresher
            if settings.sessionExpires < settings.minSE, expires != nil || minimum != nil {
                reader.problems.report(reader.path(expires == nil ? "min_se_s" : "session_expires_s"),
                                       "session_expires_s (\(settings.sessionExpires.components.seconds) s) must not be "
                                           + "less than min_se_s (\(settings.minSE.components.seconds) s)")
            }
            return settings
        }
    }
}
