/// Why an activation write was refused, in the admin API's error shape (`error`, `detail`) with
/// what a script needs to act on it: the seconds of cooling left, or the queued version.
///
/// Its own error type rather than an `AdminError` case because the codes (`cooling`,
/// `activation_queued`, `weighted_group`, ...) are specific to activations; the routes render it
/// through `ActivationReply`, so a refusal is stored for an idempotent replay like any answer.
public struct ActivationRefusal: Codable, Sendable, Equatable, Error {
    /// HTTP status: 404, 409 or 422.
    public var status: Int
    /// Stable code: `not_found`, `unknown_member`, `weighted_group`, `already_active`, `cooling`,
    /// `activation_queued`, `unknown_version`, `nothing_queued`.
    public var error: String
    public var detail: String
    public var coolingSecondsLeft: Int?
    public var queuedVersion: Int?

    public init(status: Int, error: String, detail: String, coolingSecondsLeft: Int? = nil, queuedVersion: Int? = nil) {
        self.status = status
        self.error = error
        self.detail = detail
        self.coolingSecondsLeft = coolingSecondsLeft
        self.queuedVersion = queuedVersion
    }
}
