import Hummingbird

/// Live calls: list, detail and the operator's hang-up (docs/ADMIN.md, "Live calls").
extension AdminRoutes {
    func addCallRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v1/calls") { request, _ in
            _ = try authorize(request, scope: "calls:read")
            let filter = try CallFilter(request.uri.queryParameters)
            return AdminJSON.response(status: .ok, value: await backend.calls().filter(filter.matches))
        }
        router.get("/api/v1/calls/:id") { request, context in
            _ = try authorize(request, scope: "calls:read")
            let id = try parameter("id", context)
            guard let call = await backend.call(id: id) else {
                throw APIError(.notFound("no live call \(id)"))
            }
            return AdminJSON.response(status: .ok, value: call)
        }
        router.delete("/api/v1/calls/:id") { request, context in
            let id = try parameter("id", context)
            return try await write(request, scope: "calls:write", action: "hangup", subject: "call \(id)") {
                reason, actor throws(AdminError) in
                try await backend.hangUp(call: id, reason: reason, actor: actor)
            }
        }
    }
}
