import SBCConfig
import SIPCore

/// `Session-Expires: <delta-seconds>[;refresher=uac|uas]` (RFC 4028 §4).
struct SessionExpires: Sendable, Equatable, CustomStringConvertible {
    /// Which end of the dialog refreshes, named from the request's point of view.
    enum Role: String, Sendable { case uac, uas }

    var seconds: Int
    var refresher: Role?

    init(seconds: Int, refresher: Role?) {
        self.seconds = seconds
        self.refresher = refresher
    }

    /// The first Session-Expires of `message` (also its compact form `x`); nil when absent or
    /// not a number.
    init?(_ message: SIPMessage) {
        guard let value = message.firstValue(SIPMessage.sessionExpiresHeader) else { return nil }
        let parts = value.split(separator: ";").map { $0.trimmingWhitespace() }
        guard let first = parts.first, let seconds = Int(first), seconds > 0 else { return nil }
        self.seconds = seconds
        refresher = parts.dropFirst().lazy.compactMap { parameter -> Role? in
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard pair.count == 2, pair[0].equalsIgnoringASCIICase("refresher") else { return nil }
            return Role(rawValue: pair[1].lowercased())
        }.first
    }

    var description: String { refresher.map { "\(seconds);refresher=\($0.rawValue)" } ?? "\(seconds)" }

    /// `Min-SE` of `message` (RFC 4028 §5), in seconds.
    static func minSE(of message: SIPMessage) -> Int? {
        message.firstValue(SIPMessage.minSEHeader)
            .flatMap { Int($0.split(separator: ";").first.map { $0.trimmingWhitespace() } ?? "") }
    }
}

/// RFC 4028 negotiation for one leg, as pure functions of the trunk's settings and the message:
/// what the SBC answers as UAS, what it asks for as UAC, and what a 2xx settled.
enum SessionTimerNegotiation {
    /// The SBC's decision on a peer's INVITE, re-INVITE or UPDATE.
    enum Answer: Equatable {
        /// The peer asked for less than the SBC's Min-SE: `422` with `Min-SE` (RFC 4028 §8.1).
        case tooSmall(minSE: Int)
        /// A timer runs on the leg: `header` goes in the 2xx, with `Require: timer` when the
        /// peer supports timers.
        case run(seconds: Int, refresher: SessionTimer.Refresher, header: SessionExpires, requireTimer: Bool)
    }

    static func seconds(_ duration: Duration) -> Int { Int(duration.components.seconds) }

    /// RFC 4028 §9: a request asking for less than the SBC's Min-SE is refused; otherwise the
    /// interval is the smaller of the request's and the SBC's, never below either Min-SE; the
    /// request's refresher stands, and without one the trunk's `refresher` decides (a peer that
    /// does not support timers cannot refresh, so then the SBC does).
    static func answer(_ request: SIPMessage, settings: SessionTimerSettings) -> Answer {
        let ownMinimum = seconds(settings.minSE)
        let asked = SessionExpires(request)
        if let asked, asked.seconds < ownMinimum { return .tooSmall(minSE: ownMinimum) }
        let floor = max(ownMinimum, SessionExpires.minSE(of: request) ?? 0)
        let interval = max(min(asked?.seconds ?? seconds(settings.sessionExpires), seconds(settings.sessionExpires)),
                           floor)
        let peerSupports = request.lists("timer")
        let role: SessionExpires.Role
        if let chosen = asked?.refresher, peerSupports {
            role = chosen
        } else if peerSupports, settings.refresher == .peer {
            role = .uac
        } else {
            role = .uas
        }
        return .run(seconds: interval, refresher: role == .uas ? .sbc : .peer,
                    header: SessionExpires(seconds: interval, refresher: role), requireTimer: peerSupports)
    }

    /// What the SBC asks for in a request it sends on the leg (RFC 4028 §7.1): its interval
    /// (raised to a Min-SE the peer taught it), its Min-SE, and its refresher preference.
    static func request(settings: SessionTimerSettings, learnedMinSE: Int?) -> (expires: SessionExpires, minSE: Int) {
        let minimum = max(seconds(settings.minSE), learnedMinSE ?? 0)
        let role: SessionExpires.Role? = switch settings.refresher {
        case .sbc: .uac
        case .peer: .uas
        case .either: nil
        }
        return (SessionExpires(seconds: max(seconds(settings.sessionExpires), minimum), refresher: role), minimum)
    }

    /// The timer a 2xx to the SBC's request settled (RFC 4028 §7.2). Without Session-Expires
    /// the peer does not do timers, and the SBC keeps the one it asked for, refreshing itself.
    static func accepted(_ response: SIPMessage, requested: Int) -> (seconds: Int, refresher: SessionTimer.Refresher) {
        guard let granted = SessionExpires(response) else { return (requested, .sbc) }
        return (granted.seconds, granted.refresher == .uas ? .peer : .sbc)
    }
}
