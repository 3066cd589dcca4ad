import Testing
@testable import SBCConfig

/// `trunks[].validation` (DID validation test calls) and `trunk_groups[].require_validation`:
/// defaults, values, and problems that name the key.
@Suite("DID validation configuration")
struct ValidationConfigTests {
    /// Trunk `a` with `validation` lines, group `g` with `group` lines.
    static func yaml(validation: String = "", group: String = "") -> String {
        FailoverConfigTests.yaml(group: group, trunk: validation.isEmpty ? "" : "    validation: \(validation)")
    }

    @Test("defaults: no validation, no requirement; values are read")
    func values() throws {
        let plain = try #require(TestSupport.load(Self.yaml()))
        #expect(plain.trunks.first?.validation == nil && plain.trunkGroup(named: "g")?.requireValidation == nil)
        let yaml = Self.yaml(validation: #"{dids: ["+15550100", "15550101"], caller: "+15559990000"}"#,
                             group: "    require_validation: {max_age_s: 3600}")
        let config = try #require(TestSupport.load(yaml))
        let validation = try #require(config.trunks.first?.validation)
        #expect(validation == TrunkValidationSettings(dids: ["+15550100", "15550101"], caller: "+15559990000",
                                                      timeout: .seconds(10), reachable: .ringing,
                                                      pace: .milliseconds(1000)))
        #expect(config.trunkGroup(named: "g")?.requireValidation == .seconds(3600))
        let tuned = Self.yaml(validation: #"{dids: ["+1555"], caller: "+1", timeout_s: 3, reachable: answered, pace_ms: 200, max_age_s: 600}"#)
        let settings = try #require(TestSupport.load(tuned)?.trunks.first?.validation)
        #expect(settings.timeout == .seconds(3) && settings.reachable == .answered && settings.pace == .milliseconds(200))
        #expect(settings.maxAge == .seconds(600))
    }

    @Test("problems name the key", arguments: [
        (#"{dids: ["+1555"]}"#, "trunks[0].validation.caller", "is required"),
        (#"{caller: "+1"}"#, "trunks[0].validation.dids", "is required"),
        (#"{dids: ["+1555"], dids_file: /tmp/x, caller: "+1"}"#, "trunks[0].validation.dids_file", "together"),
        (#"{dids: ["call me"], caller: "+1"}"#, "trunks[0].validation.dids[0]", "must be a number"),
        (#"{dids: [], caller: "+1"}"#, "trunks[0].validation.dids", "at least one"),
        (#"{dids: ["+1"], caller: "+1", reachable: rings}"#, "trunks[0].validation.reachable", "ringing, answered"),
        (#"{dids: ["+1"], caller: "+1", pace_ms: 10}"#, "trunks[0].validation.pace_ms", "50-60000"),
        (#"{dids_file: /nonexistent/dids.txt, caller: "+1"}"#, "trunks[0].validation.dids_file", "cannot read"),
    ])
    func problems(validation: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(validation: validation), keyPath: keyPath, line: 9, containing: message)
    }

    @Test("require_validation needs max_age_s in range")
    func requirementProblems() {
        TestSupport.expectSingleProblem(Self.yaml(group: "    require_validation: {max_age_s: 5}"),
                                        keyPath: "trunk_groups[0].require_validation.max_age_s", line: 15,
                                        containing: "60-31536000")
        TestSupport.expectSingleProblem(Self.yaml(group: "    require_validation: {}"),
                                        keyPath: "trunk_groups[0].require_validation.max_age_s", line: 15,
                                        containing: "is required")
    }

    @Test("a DID file: one number a line, comments and blank lines skipped")
    func didFile() {
        #expect(TrunkValidationSettings.parseList("+15550100\n\n# carrier B\n +15550101  # main line\n")
                    == ["+15550100", "+15550101"])
    }
}
