/// The body of an activation write besides its `reason`: `member` for `PUT .../activation`,
/// `version` for `POST .../activation/rollback`, and `force` for both (skips the cooling period
/// and the drain check; a queued swap is replaced).
struct ActivationBody: Decodable {
    var member: String?
    var version: Int?
    var force: Bool?

    /// What the request asks for, for the idempotency digest (the reason is added by `write`).
    var fingerprint: String {
        "member=\(member ?? "");version=\(version.map(String.init) ?? "");force=\(force ?? false)"
    }
}
