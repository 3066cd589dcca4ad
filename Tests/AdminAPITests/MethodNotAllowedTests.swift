import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// A known path asked with a method it does not answer: 405 with `Allow`, not 404 (which
/// schemathesis rightly flagged: 404 says the resource does not exist).
@Suite struct MethodNotAllowedTests {
    @Test(arguments: [
        ("/api/v1/audit", HTTPRequest.Method.put, "GET"),
        ("/api/v1/calls/7", .put, "DELETE, GET"),
        ("/api/v1/trunks/carrier-a/lock", .get, "POST"),
        ("/status", .post, "GET"),
    ])
    func knownPathWithAnotherMethodIs405WithAllow(path: String, method: HTTPRequest.Method, allow: String) async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: path, method: method, headers: TestSupport.headers())
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == allow)
            #expect(try TestSupport.errorCode(response) == "method_not_allowed")
        }
    }

    @Test func unknownPathsAndUnknownNamesStay404() async throws {
        try await TestSupport.application().test(.router) { client in
            let path = try await client.execute(uri: "/api/v1/trunks/carrier-a/explode", method: .post,
                                                headers: TestSupport.headers())
            #expect(path.status == .notFound)
            let name = try await client.execute(uri: "/api/v1/trunks/nobody", method: .get, headers: TestSupport.headers())
            #expect(name.status == .notFound)
            #expect(name.headers[.allow] == nil)
        }
    }
}
