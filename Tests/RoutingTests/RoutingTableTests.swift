import SBCConfig
import SIPCore
import Testing
@testable import Routing

@Suite struct RoutingTableTests {
    static let config = """
        zones:
          - {name: platform, bind: 10.0.0.1, udp_port: 5060}
          - {name: carrier, bind: 10.0.1.1, udp_port: 5080}
        trunks:
          - {name: platform, zone: platform, address: 192.0.2.10}
          - {name: carrier-a, zone: carrier, address: 198.51.100.11}
          - {name: carrier-b, zone: carrier, address: 198.51.100.12}
        trunk_groups:
          - {name: pstn-out, members: [carrier-a, carrier-b]}
          - {name: weighted, strategy: weighted, members: [carrier-a, carrier-b], weights: {carrier-a: 70, carrier-b: 30}}
        profiles:
          - {name: billing-profile, headers: [{set: X-Dept, value: billing}]}
        routes:
          - {name: critical, from_trunk: platform, request_user_prefix: "+1999", critical: true, trunk_group: pstn-out}
          - {name: billing, from_trunk: platform, header: {name: X-Skill, equals: billing}, trunk: carrier-b, profile: billing-profile}
          - {name: uk, from_trunk: platform, request_user_regex: "^\\\\+44[0-9]+$", trunk_group: weighted}
          - {name: vip, from_trunk: platform, from_user_prefix: "+1555999", trunk: carrier-a}
          - {name: out, from_trunk: platform, trunk_group: pstn-out}
          - {name: in, from_zone: carrier, trunk: platform}
        routing: {unroutable_status: 403}
        """

    static func request(user: String, from: String = "+15550001111", extra: String = "") throws -> SIPMessage {
        let text = """
            INVITE sip:\(user)@10.0.0.1 SIP/2.0\r
            Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r
            From: <sip:\(from)@192.0.2.10>;tag=1\r
            To: <sip:\(user)@10.0.0.1>\r
            Call-ID: r1\r
            CSeq: 1 INVITE\r
            \(extra)Content-Length: 0\r
            \r

            """
        return try SIPMessage(parsing: Array(text.utf8))
    }

    let table: RoutingTable
    let platform: TrunkSettings
    init() throws {
        let configuration = try ConfigLoader.parse(yaml: Self.config, source: "routing.yaml")
        table = RoutingTable(configuration: configuration)
        platform = try #require(table.sourceTrunk(zone: "platform", address: "192.0.2.10"))
    }

    @Test func ingressIsByZoneAndAddress() {
        #expect(table.sourceTrunk(zone: "carrier", address: "198.51.100.11")?.name == "carrier-a")
        #expect(table.sourceTrunk(zone: "platform", address: "198.51.100.11") == nil)
        #expect(table.sourceTrunk(zone: "carrier", address: "203.0.113.9") == nil)
        #expect(table.unroutableStatus == 403)
    }

    @Test func firstMatchingRouteWins() throws {
        let critical = try #require(table.route(from: platform, request: Self.request(user: "+19995550100")))
        #expect(critical.routeName == "critical")
        #expect(critical.critical)
        #expect(critical.candidates.map(\.name) == ["carrier-a", "carrier-b"])
        #expect(critical.group?.name == "pstn-out")
        let plain = try #require(table.route(from: platform, request: Self.request(user: "+15551230000")))
        #expect(plain.routeName == "out")
        #expect(!plain.critical)
    }

    @Test func headerRegexAndFromUserConditions() throws {
        let billing = try #require(table.route(from: platform, request: Self.request(
            user: "+15551230000", extra: "X-Skill:  billing \r\n")))
        #expect(billing.routeName == "billing")
        #expect(billing.profileOverride == "billing-profile")
        #expect(billing.group == nil, "a single trunk has no failover group")
        #expect(try table.route(from: platform, request: Self.request(user: "+442071234567"))?.routeName == "uk")
        #expect(try table.route(from: platform, request: Self.request(user: "+44abc"))?.routeName == "out")
        #expect(try table.route(from: platform, request: Self.request(user: "+15551230000", from: "+15559990000"))?
            .routeName == "vip")
        let carrierA = try #require(table.trunk(named: "carrier-a"))
        #expect(try table.route(from: carrierA, request: Self.request(user: "+15550001111"))?.routeName == "in")
    }

    @Test func weightedOrderFollowsTheWeights() throws {
        let decision = try #require(table.route(from: platform, request: Self.request(user: "+442071234567")))
        var generator = SplitMix(seed: 7)
        var firstIsA = 0
        for _ in 0..<10_000 {
            let order = CandidateOrder.order(decision.candidates, group: decision.group, using: &generator)
            #expect(Set(order.map(\.name)) == ["carrier-a", "carrier-b"], "every member stays a candidate")
            if order.first?.name == "carrier-a" { firstIsA += 1 }
        }
        #expect((6500...7500).contains(firstIsA), "carrier-a first in \(firstIsA) of 10000 (weight 70 of 100)")
    }
}

/// A seeded generator for reproducible weighted draws.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
