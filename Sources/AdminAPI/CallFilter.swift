import Hummingbird

/// The query of `GET /api/v1/calls`: `trunk`, `route` and `critical`, all optional and combined.
///
/// Filtering happens on the admin side, over the list the loop hands out, so the loop's work per
/// request stays one copy of the call table whatever the filter.
struct CallFilter: Sendable {
    /// The caller's trunk or the trunk of the active carrier leg.
    var trunk: String?
    var route: String?
    var critical: Bool?

    /// Reads the filter; a `critical` other than `true` or `false` is a 400, not a silent no-op.
    init(_ query: Parameters) throws(APIError) {
        trunk = query.get("trunk")
        route = query.get("route")
        if let text = query.get("critical") {
            switch text {
            case "true": critical = true
            case "false": critical = false
            default: throw APIError.badRequest("critical must be true or false, got \(text)")
            }
        }
    }

    func matches(_ call: CallStatus) -> Bool {
        if let trunk, !call.involves(trunk: trunk) { return false }
        if let route, call.route != route { return false }
        if let critical, call.critical != critical { return false }
        return true
    }
}
