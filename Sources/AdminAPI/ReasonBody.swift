/// The body of every write: why the operator is doing it, recorded in the audit trail.
///
/// A reason is mandatory because an unexplained lock or forced failover on a carrier trunk is
/// what the next on-call engineer cannot undo safely.
struct ReasonBody: Decodable {
    var reason: String?

    /// Longest accepted reason, in characters.
    static let maxLength = 500
}
