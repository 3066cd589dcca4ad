import SBCConfig
import SIPCore

/// One route's match conditions, with its regular expressions compiled once at start-up.
struct RouteMatcher: @unchecked Sendable {
    // Regex is immutable once built; it is shared read-only across calls on one thread.
    let route: RouteSettings
    private let requestUserRegex: Regex<AnyRegexOutput>?
    private let fromUserRegex: Regex<AnyRegexOutput>?
    private let headerRegex: Regex<AnyRegexOutput>?
    private let headerName: SIPHeaderName?

    /// Regexes were compiled by the config validator already; a failure here cannot happen for a
    /// validated configuration and would make the condition never match.
    init(_ route: RouteSettings) {
        self.route = route
        requestUserRegex = route.requestUserRegex.flatMap { try? Regex($0) }
        fromUserRegex = route.fromUserRegex.flatMap { try? Regex($0) }
        headerRegex = route.header?.regex.flatMap { try? Regex($0) }
        headerName = route.header.map { SIPHeaderName($0.name) }
    }

    func matches(source: TrunkSettings, request: SIPMessage) -> Bool {
        if let trunk = route.fromTrunk, trunk != source.name { return false }
        if let zone = route.fromZone, zone != source.zone { return false }
        let requestUser = request.requestURI?.user ?? ""
        if let prefix = route.requestUserPrefix, !requestUser.hasPrefix(prefix) { return false }
        if route.requestUserRegex != nil, !Self.matches(requestUserRegex, requestUser) { return false }
        let fromUser = request.from?.uri.user ?? ""
        if let prefix = route.fromUserPrefix, !fromUser.hasPrefix(prefix) { return false }
        if route.fromUserRegex != nil, !Self.matches(fromUserRegex, fromUser) { return false }
        if let header = route.header, let headerName {
            let values = request.values(headerName).map { $0.trimmingWhitespace() }
            if let present = header.present, present == values.isEmpty { return false }
            if let equals = header.equals, !values.contains(equals) { return false }
            if header.regex != nil, !values.contains(where: { Self.matches(headerRegex, $0) }) { return false }
        }
        return true
    }

    /// Regexes search (operators anchor with ^...$ when they mean the whole value).
    private static func matches(_ regex: Regex<AnyRegexOutput>?, _ text: String) -> Bool {
        guard let regex else { return false }
        return (try? regex.firstMatch(in: text)) != nil
    }
}
