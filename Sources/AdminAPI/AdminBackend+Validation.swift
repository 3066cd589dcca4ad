/// DID validation through the admin API (docs/VALIDATION.md). Default implementations so that
/// backends without validation (test fakes, tools) need not provide them.
extension AdminBackend {
    /// Starts a validation run of `trunk`: `.notFound` for no such trunk, `.conflict` when it has
    /// no `validation` settings or while a run of it is going.
    public func validate(trunk: String, reason: String, actor: String) async throws(AdminError) -> ValidationRunStatus {
        throw .unavailable("DID validation is not supported by this backend")
    }

    /// The newest run of `trunk` (running or done) with its results; `.notFound` for no such
    /// trunk or a trunk never validated.
    public func validation(trunk: String) async throws(AdminError) -> ValidationRunStatus {
        throw .unavailable("DID validation is not supported by this backend")
    }
}
