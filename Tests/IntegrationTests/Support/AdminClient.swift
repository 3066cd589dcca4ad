// A minimal client for the SBC's admin API, as an operator's script would use it.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct AdminClient: Sendable {
    let base: URL
    let token: String?

    struct Response: @unchecked Sendable {
        let status: Int
        let json: Any?
        let headers: [String: String]

        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    }

    func get(_ path: String) async throws -> Response {
        try await send("GET", path, body: nil)
    }

    func post(_ path: String, _ body: [String: String], idempotencyKey: String? = nil) async throws -> Response {
        try await send("POST", path, body: try JSONSerialization.data(withJSONObject: body),
                       headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:])
    }

    /// Any method with a JSON body that may hold numbers and booleans (PUT, DELETE, ...).
    func send(_ method: String, _ path: String, json: [String: any Sendable], idempotencyKey: String? = nil)
        async throws -> Response
    {
        try await send(method, path, body: try JSONSerialization.data(withJSONObject: json),
                       headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:])
    }

    private func send(_ method: String, _ path: String, body: Data?, headers: [String: String] = [:])
        async throws -> Response
    {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!.absoluteURL)
        request.httpMethod = method
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)".lowercased()] = "\(value)" }
        return Response(status: http?.statusCode ?? 0, json: try? JSONSerialization.jsonObject(with: data),
                        headers: fields)
    }

    /// Polls `GET /api/v1/trunks/{name}` until its state is `state` (bounded).
    func waitForTrunk(_ name: String, state: String, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let current = try? await get("api/v1/trunks/\(name)"), current.object["state"] as? String == state {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Polls `GET /api/v1/calls` until a call is established (bounded) and returns it.
    func establishedCall(within limit: Duration = .seconds(10)) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let call = try await get("api/v1/calls").array.first(where: { $0["state"] as? String == "established" }) {
                return call
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}
