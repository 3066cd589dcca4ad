/// A backend result that decides its own HTTP status, for writes whose outcome is a report
/// rather than a thrown error: a refused configuration reload answers 422 with the same body
/// shape as an applied one (``ConfigReloadReport``), and is stored for an idempotent replay like
/// any other answer.
protocol AdminResponseStatus {
    var responseStatusCode: Int { get }
}
