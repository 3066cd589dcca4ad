/// What a DID validation run reported, for the driver: each is persisted (state database),
/// audited and counted in the order it happened.
public enum ValidationEvent: Sendable {
    case started(DIDValidationRun)
    case result(run: String, trunk: String, DIDValidationRun.Result)
    /// The run's last DID decided (`run.passed` says how it went).
    case finished(DIDValidationRun, at: Duration)
}
