import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import AdminAPI

/// Tokens, request helpers and an in-memory application shared by the admin API tests.
enum TestSupport {
    static let adminToken = "lab-admin-token"
    static let readerToken = "reader-token"
    static let metricsToken = "metrics-token"

    static let tokens = [
        AdminToken(name: "lab-admin", sha256Hex: AdminTokenVerifier.hashHex(of: adminToken), scopes: ["*"]),
        AdminToken(name: "reader", sha256Hex: AdminTokenVerifier.hashHex(of: readerToken).uppercased(), scopes: ["trunks:read"]),
        AdminToken(name: "scraper", sha256Hex: AdminTokenVerifier.hashHex(of: metricsToken), scopes: ["metrics:read"]),
    ]

    static let logger: Logger = {
        var logger = Logger(label: "admin-test")
        logger.logLevel = .critical
        return logger
    }()

    /// An application around the admin router, for `.router` (in-memory) tests.
    static func application(
        backend: FakeBackend = FakeBackend(),
        idempotency: (any IdempotencyCache)? = InMemoryIdempotencyCache(),
        metrics: SBCMetrics = SBCMetrics()
    ) -> some ApplicationProtocol {
        let routes = AdminRoutes(backend: backend, tokens: tokens, idempotency: idempotency, metrics: metrics, logger: logger)
        return Application(router: routes.makeRouter(), logger: logger)
    }

    static func headers(token: String? = adminToken, idempotencyKey: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let idempotencyKey { fields[AdminRoutes.idempotencyKeyField] = idempotencyKey }
        return fields
    }

    static func reason(_ text: String = "carrier maintenance window") -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: ["reason": text]))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(response.body.readableBytesView))
    }

    /// The `{"error", "detail"}` body of a failure.
    static func errorCode(_ response: TestResponse) throws -> String {
        try decode([String: String].self, response)["error"] ?? ""
    }

    static func text(_ response: TestResponse) -> String {
        String(decoding: response.body.readableBytesView, as: UTF8.self)
    }
}
