/// The answer to an activation write: the group's resulting activation (200, or 202 when the
/// swap was queued) or the refusal with its own status and error code.
enum ActivationReply: Encodable, Sendable, AdminResponseStatus {
    case done(ActivationStatus)
    case refused(ActivationRefusal)

    private enum RefusalKeys: String, CodingKey {
        case error, detail, coolingSecondsLeft, queuedVersion
    }

    var responseStatusCode: Int {
        switch self {
        case .done(let status): status.responseStatusCode
        case .refused(let refusal): refusal.status
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .done(let status):
            try status.encode(to: encoder)
        case .refused(let refusal):
            // The admin API's error shape; the HTTP status is the response's, not a body field.
            var container = encoder.container(keyedBy: RefusalKeys.self)
            try container.encode(refusal.error, forKey: .error)
            try container.encode(refusal.detail, forKey: .detail)
            try container.encodeIfPresent(refusal.coolingSecondsLeft, forKey: .coolingSecondsLeft)
            try container.encodeIfPresent(refusal.queuedVersion, forKey: .queuedVersion)
        }
    }

    /// Runs a backend activation call, turning its refusal into an answer.
    static func run(_ body: () async throws(ActivationRefusal) -> ActivationStatus) async -> ActivationReply {
        do {
            return .done(try await body())
        } catch {
            return .refused(error)
        }
    }
}
