import Hummingbird

/// An error the admin API answers with: a status, a stable machine-readable `error` code and a
/// human `detail`, rendered as `{"error": ..., "detail": ...}` so every failure, including
/// authentication and unknown routes, has the same shape for scripts and `sbc ctl`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let detail: String
    var headers: HTTPFields = [:]

    private struct Body: Encodable {
        var error: String
        var detail: String
    }

    /// The JSON body bytes (also what idempotent writes store).
    var body: [UInt8] { AdminJSON.encode(Body(error: code, detail: detail)) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    func makeResponse() -> Response {
        AdminJSON.response(status: status, body: body, headers: headers)
    }

    /// 401 with the RFC 6750 challenge; `invalidToken` distinguishes a wrong token from none.
    static func unauthorized(_ detail: String, invalidToken: Bool) -> APIError {
        let challenge = invalidToken ? #"Bearer realm="sbc-admin", error="invalid_token""# : #"Bearer realm="sbc-admin""#
        return APIError(status: .unauthorized, code: "unauthorized", detail: detail, headers: [.wwwAuthenticate: challenge])
    }

    static func forbidden(scope: String) -> APIError {
        APIError(
            status: .forbidden, code: "forbidden", detail: "token lacks scope \(scope)",
            headers: [.wwwAuthenticate: #"Bearer realm="sbc-admin", error="insufficient_scope", scope="\#(scope)""#]
        )
    }

    static func badRequest(_ detail: String) -> APIError {
        APIError(status: .badRequest, code: "bad_request", detail: detail)
    }

    static func unprocessable(_ detail: String, code: String = "invalid") -> APIError {
        APIError(status: .unprocessableContent, code: code, detail: detail)
    }

    /// The HTTP form of a backend failure.
    init(_ error: AdminError) {
        switch error {
        case .notFound(let detail): self.init(status: .notFound, code: "not_found", detail: detail)
        case .conflict(let detail): self.init(status: .conflict, code: "conflict", detail: detail)
        case .invalid(let detail): self.init(status: .unprocessableContent, code: "invalid", detail: detail)
        case .unavailable(let detail): self.init(status: .serviceUnavailable, code: "unavailable", detail: detail)
        }
    }

    init(status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }
}
