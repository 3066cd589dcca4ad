import SIPCore
import Testing
@testable import B2BUA

/// `security.server_header`: what the SBC calls itself in Server and User-Agent, or nothing.
@Suite("Server header")
struct ServerHeaderTests {
    static func trying(serverHeader: String) throws -> SIPMessage? {
        var harness = try B2BUAHarness(serverHeader: serverHeader)
        return harness.receive(B2BUAHarness.invite()).first { $0.message.statusCode == 100 }?.message
    }

    @Test("the configured token is sent; an empty one sends no Server header")
    func configuredOrSilent() throws {
        #expect(try Self.trying(serverHeader: "Edge SBC")?.firstValue(.server) == "Edge SBC")
        let silent = try #require(try Self.trying(serverHeader: ""))
        #expect(silent.firstValue(.server) == nil)
    }
}
