import Hummingbird

/// Configuration reload (docs/RELOAD.md): `POST /api/v1/config/reload` re-reads the file the SBC
/// was started with, like SIGHUP; `GET /api/v1/config` tells which file generation runs.
extension AdminRoutes {
    func addConfigRoutes(to router: Router<BasicRequestContext>) {
        router.get("/api/v1/config") { request, _ in
            _ = try authorize(request, scope: "config:read")
            guard let status = await backend.configurationStatus() else {
                throw APIError(.unavailable("this SBC has no configuration file to describe"))
            }
            return AdminJSON.response(status: .ok, value: status)
        }
        router.post("/api/v1/config/reload") { request, _ in
            try await write(request, scope: "config:write", action: "config_reload", subject: "config") {
                reason, actor throws(AdminError) in
                try await backend.reloadConfiguration(reason: reason, actor: actor)
            }
        }
    }

    /// Swaps the accepted tokens; requests already authorised finish with the old set.
    func replaceTokens(_ tokens: [AdminToken]) {
        let verifier = AdminTokenVerifier(tokens: tokens)
        for name in verifier.rejected {
            logger.error("admin token ignored: sha256 is not 64 hex digits", metadata: ["token": "\(name)"])
        }
        self.tokens.withLock { $0 = verifier }
    }
}
