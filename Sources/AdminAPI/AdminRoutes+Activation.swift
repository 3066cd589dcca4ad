import Foundation
import Hummingbird

/// Trunk group activations: the versioned first member with history, rollback, cooling and the
/// drain queue (docs/ACTIVATION.md). Same scopes as the other group routes.
extension AdminRoutes {
    func addActivationRoutes(to router: Router<BasicRequestContext>) {
        let base = "/api/v1/trunk-groups/:name/activation"
        router.get(RouterPath(base)) { request, context in
            _ = try authorize(request, scope: "groups:read")
            let name = try parameter("name", context)
            return try await read { () async throws(ActivationRefusal) in try await backend.activation(group: name) }
        }
        router.get(RouterPath(base + "/history")) { request, context in
            _ = try authorize(request, scope: "groups:read")
            let name = try parameter("name", context)
            return try await read { () async throws(ActivationRefusal) in
                try await backend.activationHistory(group: name)
            }
        }
        router.put(RouterPath(base)) { request, context in
            let name = try parameter("name", context)
            // Scope before body: a token without the scope learns nothing about what it sent.
            _ = try authorize(request, scope: "groups:write")
            var request = request
            let body = try await activationBody(&request)
            guard let member = body.member, !member.isEmpty else {
                throw APIError.unprocessable("member is required: the trunk that takes new calls first")
            }
            let force = body.force ?? false
            return try await write(request, scope: "groups:write", action: "activate", subject: name,
                                   fingerprint: body.fingerprint) { reason, actor throws(AdminError) in
                await ActivationReply.run { () async throws(ActivationRefusal) in
                    try await backend.activate(group: name, member: member, force: force, reason: reason, actor: actor)
                }
            }
        }
        router.post(RouterPath(base + "/rollback")) { request, context in
            let name = try parameter("name", context)
            // Scope before body: a token without the scope learns nothing about what it sent.
            _ = try authorize(request, scope: "groups:write")
            var request = request
            let body = try await activationBody(&request)
            guard let version = body.version, version >= 0 else {
                throw APIError.unprocessable("version is required: the earlier version to restore (0: configuration order)")
            }
            let force = body.force ?? false
            return try await write(request, scope: "groups:write", action: "activation_rollback", subject: name,
                                   fingerprint: body.fingerprint) { reason, actor throws(AdminError) in
                await ActivationReply.run { () async throws(ActivationRefusal) in
                    try await backend.rollbackActivation(group: name, to: version, force: force, reason: reason,
                                                         actor: actor)
                }
            }
        }
        router.delete(RouterPath(base + "/queued")) { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "groups:write", action: "activation_cancel", subject: name) {
                reason, actor throws(AdminError) in
                await ActivationReply.run { () async throws(ActivationRefusal) in
                    try await backend.cancelQueuedActivation(group: name, reason: reason, actor: actor)
                }
            }
        }
    }

    /// Reads the JSON body once (it stays buffered in `request` for `write` to read the reason).
    private func activationBody(_ request: inout Request) async throws -> ActivationBody {
        let buffer = try await request.collectBody(upTo: Self.maxBodyBytes)
        do {
            return try JSONDecoder().decode(ActivationBody.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest(#"body must be a JSON object like {"member": "carrier-b", "reason": "..."}"#)
        }
    }

    private func read<Value: Encodable & Sendable>(
        _ body: () async throws(ActivationRefusal) -> Value
    ) async throws -> Response {
        do {
            return AdminJSON.response(status: .ok, value: try await body())
        } catch {
            throw APIError(status: HTTPResponse.Status(code: error.status), code: error.error, detail: error.detail)
        }
    }
}
