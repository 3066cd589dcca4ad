import Logging
import Routing
import SBCConfig
import SIPCore
import Testing
@testable import B2BUA

/// `security.server_header`: what the SBC calls itself in Server and User-Agent, or nothing.
@Suite("Server header")
struct ServerHeaderTests {
    static func firstResponse(serverHeader: String) throws -> SIPMessage? {
        let yaml = B2BUAHarness.yaml
            .replacingOccurrences(of: "CALLID", with: "preserve").replacingOccurrences(of: "MAXCALLS", with: "max_calls: 0")
            .replacingOccurrences(of: " CODECS_A", with: "").replacingOccurrences(of: " CODECS_B", with: "")
            .replacingOccurrences(of: "MEDIA", with: "{enabled: false}").replacingOccurrences(of: "CRITICAL", with: "false")
            .replacingOccurrences(of: "PLATFORM_SRTP", with: "").replacingOccurrences(of: "MIDCALL", with: "")
            .replacingOccurrences(of: "CARRIER_A_TRANSPORT", with: "port: 5060, transport: udp")
            + "\nsecurity: {server_header: \"\(serverHeader)\"}"
        let config = try ConfigLoader.parse(yaml: yaml, source: "test.yaml")
        var b2bua = B2BUA(settings: B2BUASettings(configuration: config), routing: RoutingTable(configuration: config),
                          logger: Logger(label: "test"), ids: IdentifierGenerator(seed: 1))
        let bytes = Array(B2BUAHarness.invite().replacingOccurrences(of: "\n", with: "\r\n").utf8)
        return b2bua.receive(bytes, from: B2BUAHarness.platform, now: .seconds(1)).first { $0.message.statusCode == 100 }?.message
    }

    @Test("the configured token is sent; an empty one sends no Server header")
    func configuredOrSilent() throws {
        #expect(try Self.firstResponse(serverHeader: "Edge SBC")?.firstValue(.server) == "Edge SBC")
        let silent = try #require(try Self.firstResponse(serverHeader: ""))
        #expect(silent.firstValue(.server) == nil)
    }
}
