/// A trunk's last finished DID validation run, as `trunk_groups[].require_validation` judges it.
public struct ValidationStanding: Sendable, Equatable {
    public var run: String
    /// When the run finished (loop clock; restored runs are mapped onto it).
    public var finishedAt: Duration
    /// Every DID reachable (`DIDValidationRun.passes`).
    public var passed: Bool

    public init(run: String, finishedAt: Duration, passed: Bool) {
        self.run = run
        self.finishedAt = finishedAt
        self.passed = passed
    }

    /// Nil when `standing` is a passing run not older than `maxAge` at `now`; otherwise why not,
    /// in words an operator can act on (the activation API's 409 `validation_required`).
    public static func refusal(_ standing: ValidationStanding?, trunk: String, maxAge: Duration, now: Duration) -> String? {
        guard let standing else { return "trunk \(trunk) has never been validated (POST /api/v1/trunks/\(trunk)/validate)" }
        guard standing.passed else { return "the last validation of trunk \(trunk) (run \(standing.run)) did not pass" }
        let age = now - standing.finishedAt
        guard age <= maxAge else {
            return "the last passing validation of trunk \(trunk) (run \(standing.run)) is \(age.components.seconds) s old, "
                + "more than \(maxAge.components.seconds) s"
        }
        return nil
    }
}
