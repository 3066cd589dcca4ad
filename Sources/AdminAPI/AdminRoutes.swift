import Foundation
import Hummingbird
import Logging

/// The admin API's endpoints: authentication, scopes, idempotent writes, and the mapping of
/// backend results to JSON responses. Separate from `AdminServer` so tests can drive the router
/// in memory (`.router`) without a socket.
struct AdminRoutes: Sendable {
    let backend: any AdminBackend
    /// Replaced whole when a configuration reload changes the tokens (`replaceTokens`).
    let tokens: LockedState<AdminTokenVerifier>
    var verifier: AdminTokenVerifier { tokens.withLock { $0 } }
    let idempotency: (any IdempotencyCache)?
    let metrics: SBCMetrics
    let logger: Logger
    private let inFlight = InFlightKeys()
    /// When the admin API was set up, at the SBC's start (the status page's `startedAt`).
    let startedAt = Date().timeIntervalSince1970

    /// Largest request body read; a reason is at most 500 characters.
    static let maxBodyBytes = 16 * 1024
    // `HTTPFields.Element` is HTTPTypes' `HTTPField`, which Hummingbird does not re-export;
    // naming it this way avoids a direct dependency on swift-http-types.
    static let idempotencyKeyField = HTTPFields.Element.Name("Idempotency-Key")!
    static let replayField = HTTPFields.Element.Name("Idempotent-Replay")!

    init(
        backend: any AdminBackend, tokens: [AdminToken], idempotency: (any IdempotencyCache)?,
        metrics: SBCMetrics, logger: Logger
    ) {
        self.backend = backend
        self.tokens = LockedState(AdminTokenVerifier(tokens: tokens))
        self.idempotency = idempotency
        self.metrics = metrics
        self.logger = logger
        for name in verifier.rejected {
            logger.error("admin token ignored: sha256 is not 64 hex digits", metadata: ["token": "\(name)"])
        }
    }

    /// A router with every endpoint registered.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let methods = RouteMethods()
        router.add(middleware: AdminErrorMiddleware(methods: methods))

        router.get("/api/v1/health") { _, _ in
            AdminJSON.response(status: .ok, value: ["status": "ok"])
        }
        router.get("/api/v1/trunks") { request, _ in
            _ = try authorize(request, scope: "trunks:read")
            return AdminJSON.response(status: .ok, value: await backend.trunks())
        }
        router.get("/api/v1/trunks/:name") { request, context in
            _ = try authorize(request, scope: "trunks:read")
            let name = try parameter("name", context)
            guard let trunk = await backend.trunk(named: name) else {
                throw APIError(.notFound("no trunk named \(name)"))
            }
            return AdminJSON.response(status: .ok, value: trunk)
        }
        router.post("/api/v1/trunks/:name/lock") { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "trunks:write", action: "lock", subject: name) { reason, actor throws(AdminError) in
                try await backend.lock(trunk: name, reason: reason, actor: actor)
            }
        }
        router.post("/api/v1/trunks/:name/unlock") { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "trunks:write", action: "unlock", subject: name) { reason, actor throws(AdminError) in
                try await backend.unlock(trunk: name, reason: reason, actor: actor)
            }
        }
        router.post("/api/v1/trunk-groups/:name/failover") { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "groups:write", action: "failover", subject: name) { reason, actor throws(AdminError) in
                try await backend.forceFailover(group: name, reason: reason, actor: actor)
            }
        }
        router.post("/api/v1/trunk-groups/:name/failback") { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "groups:write", action: "failback", subject: name) { reason, actor throws(AdminError) in
                try await backend.approveFailBack(group: name, reason: reason, actor: actor)
            }
        }
        router.get("/api/v1/audit") { request, _ in
            _ = try authorize(request, scope: "audit:read")
            let query = request.uri.queryParameters
            var since: Double?
            if let text = query.get("since") {
                guard let value = Double(text), value.isFinite else {
                    throw APIError.badRequest("since must be unix seconds, got \(text)")
                }
                since = value
            }
            var limit = 100
            if let text = query.get("limit") {
                guard let value = Int(text), (1...1000).contains(value) else {
                    throw APIError.badRequest("limit must be an integer from 1 to 1000, got \(text)")
                }
                limit = value
            }
            do throws(AdminError) {
                return AdminJSON.response(status: .ok, value: try await backend.audit(since: since, limit: limit))
            } catch {
                throw APIError(error)
            }
        }
        router.get("/api/v1/nodes") { request, _ in
            _ = try authorize(request, scope: "status:read")
            return AdminJSON.response(status: .ok, value: await backend.nodes())
        }
        router.get("/api/v1/tls/certificates") { request, _ in
            _ = try authorize(request, scope: "tls:read")
            return AdminJSON.response(status: .ok, value: await backend.certificates())
        }
        router.post("/api/v1/tls/reload") { request, _ in
            try await write(request, scope: "tls:write", action: "tls_reload", subject: "tls") { reason, actor throws(AdminError) in
                try await backend.reloadTLS(reason: reason, actor: actor)
            }
        }
        router.get("/metrics") { request, _ in
            _ = try authorize(request, scope: "metrics:read")
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.render()))
            )
        }
        addCallRoutes(to: router)
        addStatusRoutes(to: router)
        addActivationRoutes(to: router)
        addConfigRoutes(to: router)
        addValidationRoutes(to: router)
        methods.record(router.routes.map { ($0.method.rawValue, "\($0.path)") })
        return router
    }

    // MARK: - Authentication

    /// The token presented as `Authorization: Bearer ...` if it is configured and grants
    /// `scope`; otherwise throws the 401 or 403 to answer with. Never logs the token itself.
    func authorize(_ request: Request, scope: String) throws(APIError) -> AdminToken {
        guard let header = request.headers[.authorization] else {
            throw APIError.unauthorized("missing bearer token", invalidToken: false)
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw APIError.unauthorized("Authorization must be 'Bearer <token>'", invalidToken: false)
        }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        guard let token = verifier.verify(presented) else {
            logger.warning("admin request with unknown token", metadata: ["path": "\(request.uri.path)"])
            throw APIError.unauthorized("unknown token", invalidToken: true)
        }
        guard token.grants(scope) else {
            logger.warning("admin token lacks scope", metadata: ["actor": "\(token.name)", "scope": "\(scope)"])
            throw APIError.forbidden(scope: scope)
        }
        return token
    }

    func parameter(_ name: String, _ context: BasicRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    // MARK: - Writes

    /// Runs a write: authorise, honour `Idempotency-Key`, validate the reason, call the backend
    /// once, and store the response for replay.
    ///
    /// What is stored: any answer that came from the backend (200, 404, 409, 422) except 503,
    /// which is transient and should be retried for real. Authentication failures and malformed
    /// requests are not stored: the action never started, so a corrected retry with the same
    /// key must run. `fingerprint` is what the body asks for besides the reason (an activation's
    /// member and `force`), so that the same key with another member is 422 too.
    func write<Value: Encodable & Sendable>(
        _ request: Request,
        scope: String,
        action: String,
        subject: String,
        fingerprint: String = "",
        perform: @Sendable (_ reason: String, _ actor: String) async throws(AdminError) -> Value
    ) async throws -> Response {
        let token = try authorize(request, scope: scope)
        let key = try idempotencyKey(request)
        let method = request.method.rawValue
        let path = request.uri.path

        if let key, let cache = idempotency {
            guard await inFlight.claim(key: key, token: token.name) else {
                throw APIError(
                    status: .conflict, code: "idempotency_key_in_progress",
                    detail: "a request with this Idempotency-Key is still being handled"
                )
            }
            do {
                let response = try await idempotent(
                    request, key: key, cache: cache, token: token, method: method, path: path,
                    action: action, subject: subject, fingerprint: fingerprint, perform: perform
                )
                await inFlight.release(key: key, token: token.name)
                return response
            } catch {
                await inFlight.release(key: key, token: token.name)
                throw error
            }
        }
        let reason = try await readReason(request)
        return await execute(perform, token: token, reason: reason, action: action, subject: subject).response
    }

    private func idempotent<Value: Encodable & Sendable>(
        _ request: Request,
        key: String,
        cache: any IdempotencyCache,
        token: AdminToken,
        method: String,
        path: String,
        action: String,
        subject: String,
        fingerprint: String,
        perform: @Sendable (_ reason: String, _ actor: String) async throws(AdminError) -> Value
    ) async throws -> Response {
        let reason = try await readReason(request)
        let digest = AdminToken.sha256Hex(of: fingerprint.isEmpty ? reason : reason + "\n" + fingerprint)
        if let stored = await cache.lookup(key: key, token: token.name) {
            guard stored.method == method, stored.path == path else {
                throw APIError.unprocessable(
                    "Idempotency-Key was first used for \(stored.method) \(stored.path)", code: "idempotency_key_reused"
                )
            }
            guard stored.requestDigest.isEmpty || stored.requestDigest == digest else {
                throw APIError.unprocessable(
                    "Idempotency-Key was first used with a different body (reason)", code: "idempotency_key_reused"
                )
            }
            logger.info("admin idempotent replay", metadata: ["actor": "\(token.name)", "path": "\(path)"])
            return AdminJSON.response(
                status: HTTPResponse.Status(code: stored.status), body: stored.body,
                headers: [Self.replayField: "true"]
            )
        }
        let outcome = await execute(perform, token: token, reason: reason, action: action, subject: subject)
        if outcome.status != .serviceUnavailable {
            await cache.save(
                key: key, token: token.name,
                response: StoredResponse(method: method, path: path, status: outcome.status.code, body: outcome.body,
                                         requestDigest: digest)
            )
        }
        return outcome.response
    }

    private struct Outcome {
        var status: HTTPResponse.Status
        var body: [UInt8]
        var response: Response { AdminJSON.response(status: status, body: body) }
    }

    /// Renders the backend's result and logs the operator action with its actor and reason.
    private func execute<Value: Encodable & Sendable>(
        _ perform: @Sendable (_ reason: String, _ actor: String) async throws(AdminError) -> Value,
        token: AdminToken, reason: String, action: String, subject: String
    ) async -> Outcome {
        let outcome: Outcome
        do {
            let value = try await perform(reason, token.name)
            let code = (value as? any AdminResponseStatus)?.responseStatusCode ?? 200
            outcome = Outcome(status: HTTPResponse.Status(code: code), body: AdminJSON.encode(value))
        } catch {
            let apiError = APIError(error)
            outcome = Outcome(status: apiError.status, body: apiError.body)
        }
        logger.notice(
            "admin action",
            metadata: [
                "action": "\(action)", "subject": "\(subject)", "actor": "\(token.name)",
                "reason": "\(reason)", "status": "\(outcome.status.code)",
            ]
        )
        return outcome
    }

    /// The `Idempotency-Key` header, if present: 1 to 255 visible ASCII characters.
    private func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        guard let key = request.headers[Self.idempotencyKeyField] else { return nil }
        let valid = (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
        guard valid else {
            throw APIError.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// The mandatory reason from the JSON body: 400 if the body is not JSON, 422 if the reason
    /// is missing, empty, blank or longer than 500 characters.
    private func readReason(_ request: Request) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        let body: ReasonBody
        do {
            body = try JSONDecoder().decode(ReasonBody.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest(#"body must be a JSON object like {"reason": "..."}"#)
        }
        guard let reason = body.reason, !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.unprocessable("reason is required")
        }
        guard reason.count <= ReasonBody.maxLength else {
            throw APIError.unprocessable("reason is longer than \(ReasonBody.maxLength) characters")
        }
        return reason
    }
}
