import Foundation
import Hummingbird

/// The status page (`/status` and its script and style sheet), the JSON it polls
/// (`/api/v1/status`), and the API's own description (`/api/v1/openapi.yaml`).
///
/// The page's files and the OpenAPI document are compiled into the binary (SwiftPM
/// `embedInCode`): the SBC serves everything the page needs, with no CDN and no file to deploy
/// beside the executable. They carry no data, so they are served without a token; the data
/// behind them is not (docs/ADMIN.md, "Status page").
extension AdminRoutes {
    /// How far back the status page's timeline reaches.
    static let statusTimelineWindow: Double = 24 * 3600
    /// Minutes of activity the status page shows unless it asks for another number.
    static let statusDefaultMinutes = 60

    func addStatusRoutes(to router: Router<BasicRequestContext>) {
        router.get("/status") { _, _ in
            Self.asset(PackageResources.status_html, type: "text/html; charset=utf-8", page: true)
        }
        router.get("/status/app.js") { _, _ in
            Self.asset(PackageResources.status_js, type: "text/javascript; charset=utf-8")
        }
        router.get("/status/style.css") { _, _ in
            Self.asset(PackageResources.status_css, type: "text/css; charset=utf-8")
        }
        router.get("/api/v1/openapi.yaml") { _, _ in
            Self.asset(PackageResources.openapi_yaml, type: "application/yaml; charset=utf-8")
        }
        router.get("/api/v1/status") { request, _ in
            _ = try authorize(request, scope: "status:read")
            var minutes = Self.statusDefaultMinutes
            if let text = request.uri.queryParameters.get("minutes") {
                guard let value = Int(text), (1...ActivityHistory.retainedMinutes).contains(value) else {
                    throw APIError.badRequest(
                        "minutes must be an integer from 1 to \(ActivityHistory.retainedMinutes), got \(text)")
                }
                minutes = value
            }
            return AdminJSON.response(status: .ok, value: try await statusSummary(minutes: minutes))
        }
    }

    static let contentSecurityPolicyField = HTTPFields.Element.Name("Content-Security-Policy")!
    static let contentTypeOptionsField = HTTPFields.Element.Name("X-Content-Type-Options")!
    static let referrerPolicyField = HTTPFields.Element.Name("Referrer-Policy")!

    /// Scripts and styles from the SBC only (no inline code, so an operator-written reason shown
    /// on the page can never run as script), fetches to the SBC only, no framing; no referrer,
    /// because the page's address may carry a token.
    static let statusPagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    private static func asset(_ bytes: [UInt8], type: String, page: Bool = false) -> Response {
        var headers: HTTPFields = [
            .contentType: type, .cacheControl: "no-cache",
            contentTypeOptionsField: "nosniff", referrerPolicyField: "no-referrer",
        ]
        if page { headers[contentSecurityPolicyField] = statusPagePolicy }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// One answer with everything the page shows.
    func statusSummary(minutes: Int) async throws -> StatusSummary {
        let now = Date().timeIntervalSince1970
        let trunks = await backend.trunks()
        let calls = await backend.calls()
        let certificates = await backend.certificates()
        let timeline: (records: [AuditRecord], since: Double)
        do throws(AdminError) {
            timeline = try await recentAudit(since: now - Self.statusTimelineWindow, now: now)
        } catch {
            throw APIError(error)
        }
        var perTrunk: [String: Int] = [:]
        for call in calls {
            perTrunk[call.ingressTrunk, default: 0] += 1
            if let trunk = call.trunk, trunk != call.ingressTrunk { perTrunk[trunk, default: 0] += 1 }
        }
        return StatusSummary(
            generatedAt: now, startedAt: startedAt, trunks: trunks, activeCalls: calls.count, callsPerTrunk: perTrunk,
            timeline: timeline.records.filter { ["trunk", "group", "activation"].contains($0.kind) },
            timelineSince: timeline.since, timelineTruncated: timeline.since > now - Self.statusTimelineWindow,
            activity: metrics.activity.minutes(last: minutes), certificates: certificates)
    }

    /// The audit records since `since`, or, when there are more than one read returns, those of
    /// the longest recent window that fits (halving it): the newest changes matter most on a
    /// dashboard, and the audit query reads oldest first.
    private func recentAudit(since: Double, now: Double) async throws(AdminError) -> (records: [AuditRecord], since: Double) {
        let limit = 1000
        var window = now - since
        while true {
            let start = now - window
            let records = try await backend.audit(since: start, limit: limit)
            if records.count < limit || window < 60 { return (records, start) }
            window /= 2
        }
    }
}
