import Testing
import SBCConfig

/// `trunks[].100rel`, `trunks[].early_media`, `trunks[].session_timer` and
/// `trunk_groups[].failover_after_early_media`: defaults, every key read, and the problems.
@Suite("Carrier interworking configuration")
struct InterworkingConfigTests {
    /// `FailoverConfigTests.yaml` with keys for trunk `a` (its keys start at line 9).
    static func yaml(trunk: String, group: String = "") -> String {
        FailoverConfigTests.yaml(group: group, trunk: trunk)
    }

    @Test("defaults: 100rel supported, early media relayed, no session timers, no failover after early media")
    func defaults() throws {
        let config = try #require(TestSupport.load(FailoverConfigTests.yaml()))
        let trunk = try #require(config.trunks.first)
        #expect(trunk.reliableProvisionals == .supported)
        #expect(trunk.earlyMedia == .relay)
        #expect(trunk.sessionTimer == SessionTimerSettings())
        #expect(!trunk.sessionTimer.enabled && trunk.sessionTimer.sessionExpires == .seconds(1800))
        #expect(trunk.sessionTimer.minSE == .seconds(90) && trunk.sessionTimer.refresher == .sbc)
        #expect(config.trunkGroups.first?.failoverAfterEarlyMedia == false)
    }

    @Test("every key is read, 100rel as a plain YAML key and off as a plain word")
    func values() throws {
        let yaml = Self.yaml(trunk: """
                100rel: off
                early_media: ringback
                session_timer: {enabled: true, session_expires_s: 600, min_se_s: 120, refresher: either}
            """, group: "    failover_after_early_media: true")
        let config = try #require(TestSupport.load(yaml))
        let trunk = try #require(config.trunks.first)
        #expect(trunk.reliableProvisionals == .off)
        #expect(trunk.earlyMedia == .ringback)
        #expect(trunk.sessionTimer == SessionTimerSettings(enabled: true, sessionExpires: .seconds(600),
                                                           minSE: .seconds(120), refresher: .either))
        #expect(config.trunkGroups.first?.failoverAfterEarlyMedia == true)
        let required = try #require(TestSupport.load(Self.yaml(trunk: "    100rel: required\n    early_media: none")))
        #expect(required.trunks.first?.reliableProvisionals == .required && required.trunks.first?.earlyMedia == EarlyMediaPolicy.none)
    }

    @Test("problems name the key and line")
    func problems() {
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    100rel: maybe"), keyPath: "trunks[0].100rel", line: 9,
                                        containing: "must be one of off, supported, required")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    early_media: ringing"), keyPath: "trunks[0].early_media",
                                        line: 9, containing: "must be one of relay, ringback, none")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    session_timer: {enabled: true, min_se_s: 1}"),
                                        keyPath: "trunks[0].session_timer.min_se_s", line: 9,
                                        containing: "must be an integer 2-86400")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    session_timer: {session_expires_s: 100, min_se_s: 300}"),
                                        keyPath: "trunks[0].session_timer.session_expires_s", line: 9,
                                        containing: "must not be less than min_se_s (300 s)")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "    session_timer: {refresher: uac}"),
                                        keyPath: "trunks[0].session_timer.refresher", line: 9,
                                        containing: "must be one of sbc, peer, either")
        TestSupport.expectSingleProblem(Self.yaml(trunk: "", group: "    failover_after_early_media: yes"),
                                        keyPath: "trunk_groups[0].failover_after_early_media", line: 15,
                                        containing: "must be true or false")
    }
}

extension InterworkingConfigTests {
    @Test("conf/lab.yaml: both carriers relay early media and support 100rel (LAB.md)")
    func lab() throws {
        let config = try ConfigLoader.load(path: TestSupport.path("conf/lab.yaml"))
        for name in ["carrier-a", "carrier-b"] {
            let trunk = try #require(config.trunk(named: name))
            #expect(trunk.earlyMedia == .relay && trunk.reliableProvisionals == .supported, "\(name)")
            #expect(!trunk.sessionTimer.enabled, "\(name)")
        }
        #expect(config.trunkGroups.first?.failoverAfterEarlyMedia == false)
    }
}
