import Foundation
import Hummingbird

/// Turns every error leaving a handler into the API's JSON error shape.
///
/// Without it Hummingbird answers unknown routes and unexpected errors with an empty body;
/// clients of this API (scripts, `sbc ctl`) always get `{"error", "detail"}` instead, and an
/// unexpected error is logged here and reported as a plain 500 without internals.
struct AdminErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The registered routes' methods, for 405 on a known path asked with another method.
    var methods = RouteMethods()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.makeResponse()
        } catch let error as any HTTPResponseError {
            // Hummingbird's own errors: unknown route (404), body too large (413), ...
            if error.status == .notFound, let allowed = methods.allowed(for: request.uri.path) {
                return APIError(
                    status: .methodNotAllowed, code: "method_not_allowed",
                    detail: "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))",
                    headers: [.allow: allowed.joined(separator: ", ")]
                ).makeResponse()
            }
            let status = error.status
            let code = status == .notFound ? "not_found" : status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            let detail: String
            if status == .notFound {
                detail = "no such endpoint: \(request.method) \(request.uri.path)"
            } else if status == .contentTooLarge {
                detail = "request body over \(AdminRoutes.maxBodyBytes) bytes"
            } else {
                detail = (error as? HTTPError)?.body ?? status.reasonPhrase
            }
            return APIError(status: status, code: code, detail: detail).makeResponse()
        } catch {
            context.logger.error("admin request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return APIError(status: .internalServerError, code: "internal", detail: "internal error").makeResponse()
        }
    }
}
