import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Yams
@testable import AdminAPI

/// Keeps docs/openapi.yaml true: every route the router registers is in the document and every
/// operation of the document is a route (method and path, both ways), the scopes it names are
/// the ones the routes check, and the SBC serves exactly that file.
@Suite struct OpenAPIDocumentTests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

    static var documentURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
    }

    static func document() throws -> [String: Any] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    /// Every operation of the document: "GET /api/v1/trunks/{name}" -> the operation object.
    static func operations() throws -> [String: [String: Any]] {
        let paths = try #require(try document()["paths"] as? [String: Any])
        var operations: [String: [String: Any]] = [:]
        for (path, item) in paths {
            for (method, operation) in try #require(item as? [String: Any]) where methods.contains(method) {
                operations["\(method.uppercased()) \(path)"] = try #require(operation as? [String: Any])
            }
        }
        return operations
    }

    static func routes() -> Set<String> {
        let routes = AdminRoutes(backend: FakeBackend(), tokens: [], idempotency: nil, metrics: SBCMetrics(),
                                 logger: TestSupport.logger)
        return Set(routes.makeRouter().routes.map { "\($0.method.rawValue) \($0.path)" })
    }

    @Test func everyRouteIsDocumentedAndEveryOperationIsARoute() throws {
        let documented = Set(try Self.operations().keys)
        let registered = Self.routes()
        #expect(registered.count >= 15, "the router lists its routes")
        #expect(registered.subtracting(documented).sorted() == [], "routes missing from docs/openapi.yaml")
        #expect(documented.subtracting(registered).sorted() == [], "operations in docs/openapi.yaml with no route")
    }

    @Test func everyOperationIsPublicOrNamesItsScope() throws {
        for (name, operation) in try Self.operations() {
            let isPublic = (operation["security"] as? [Any])?.isEmpty == true
            let scope = operation["x-required-scope"] as? String
            #expect(isPublic != (scope != nil), "\(name): security [] or x-required-scope, exactly one")
            let responses = try #require(operation["responses"] as? [String: Any], "\(name)")
            #expect(responses["200"] != nil || responses["202"] != nil, "\(name): a success response")
            if !isPublic {
                #expect(responses["401"] != nil && responses["403"] != nil, "\(name) documents 401 and 403")
            }
        }
    }

    /// A token with no scope at all is refused by every protected route with the scope the
    /// document names, and served by every public one.
    @Test func documentedScopesAreTheOnesTheRoutesCheck() async throws {
        let token = "scopeless-token"
        let routes = AdminRoutes(
            backend: FakeBackend(),
            tokens: [AdminToken(name: "scopeless", sha256Hex: AdminTokenVerifier.hashHex(of: token), scopes: ["none"])],
            idempotency: nil, metrics: SBCMetrics(), logger: TestSupport.logger)
        // (method, path, scope or nil for a public operation): Sendable, unlike the YAML values.
        let operations: [(String, String, String?)] = try Self.operations().map { name, operation in
            let parts = name.split(separator: " ", maxSplits: 1)
            return (String(parts[0]), String(parts[1]), operation["x-required-scope"] as? String)
        }
        try await Application(router: routes.makeRouter(), logger: TestSupport.logger).test(.router) { client in
            for (method, template, scope) in operations {
                let name = "\(method) \(template)"
                let path = template.replacingOccurrences(of: "{name}", with: "x").replacingOccurrences(of: "{id}", with: "1")
                let response = try await client.execute(
                    uri: path, method: HTTPRequest.Method(rawValue: method)!,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"reason":"scope check"}"#))
                if let scope {
                    #expect(response.status == .forbidden, "\(name)")
                    #expect(response.headers[.wwwAuthenticate]?.contains(#"scope="\#(scope)""#) == true, "\(name)")
                } else {
                    #expect(response.status == .ok, "\(name) is public")
                }
            }
        }
    }

    @Test func theServedDocumentIsDocsOpenAPIYAML() async throws {
        let file = try Data(contentsOf: Self.documentURL)
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
            #expect(Data(response.body.readableBytesView) == file)
        }
    }

    /// Every `$ref` points at something the document defines.
    @Test func referencesResolve() throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let document = try Self.document()
        let components = try #require(document["components"] as? [String: Any])
        let pattern = try NSRegularExpression(pattern: ##""#/components/([A-Za-z]+)/([A-Za-z0-9_]+)""##)
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches.count > 50)
        for match in matches {
            let kind = String(text[Range(match.range(at: 1), in: text)!])
            let name = String(text[Range(match.range(at: 2), in: text)!])
            #expect((components[kind] as? [String: Any])?[name] != nil, "#/components/\(kind)/\(name)")
        }
    }
}
