import Hummingbird

/// DID validation of a trunk (docs/ADMIN.md and docs/VALIDATION.md): start a run, read the newest.
extension AdminRoutes {
    func addValidationRoutes(to router: Router<BasicRequestContext>) {
        router.post("/api/v1/trunks/:name/validate") { request, context in
            let name = try parameter("name", context)
            return try await write(request, scope: "trunks:write", action: "validate", subject: name) {
                reason, actor throws(AdminError) in
                ValidationStarted(status: try await backend.validate(trunk: name, reason: reason, actor: actor))
            }
        }
        router.get("/api/v1/trunks/:name/validation") { request, context in
            _ = try authorize(request, scope: "trunks:read")
            let name = try parameter("name", context)
            do throws(AdminError) {
                return AdminJSON.response(status: .ok, value: try await backend.validation(trunk: name))
            } catch {
                throw APIError(error)
            }
        }
    }
}
