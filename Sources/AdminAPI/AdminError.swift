/// Failures a backend reports; the admin API maps each to one HTTP status
/// (404, 409, 422, 503) so the backend never deals in HTTP.
public enum AdminError: Error, Sendable, Equatable {
    /// No trunk or group of that name (404).
    case notFound(String)
    /// The action contradicts the current state, e.g. unlocking a trunk that is not locked (409).
    case conflict(String)
    /// The request is well formed but not acceptable (422).
    case invalid(String)
    /// The SBC cannot answer now, e.g. the loop is draining or the store is down (503).
    case unavailable(String)
}
