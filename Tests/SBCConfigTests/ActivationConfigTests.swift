import SBCConfig
import Testing

/// `trunk_groups[].activation` (cooling, drain threshold) and `trunk_groups[].overflow`: defaults,
/// values, and problems that name the key and the line.
@Suite("Activation and overflow configuration")
struct ActivationConfigTests {
    /// The group `g` = [a, b], with `group` inserted after its members (line 18) and a third trunk
    /// `c` that is in no group.
    static func yaml(group: String = "") -> String {
        FailoverConfigTests.yaml(group: group, trunk: """
              - name: c
                zone: core
                address: 127.0.0.13
            """)
    }

    @Test("defaults: 90 s cooling, no drain check, no overflow")
    func defaults() throws {
        let group = try #require(TestSupport.load(Self.yaml())?.trunkGroup(named: "g"))
        #expect(group.activation == GroupActivationSettings(cooling: .seconds(90), drainThreshold: nil))
        #expect(group.overflow == nil)
    }

    @Test("values are read")
    func values() throws {
        let yaml = Self.yaml(group: """
                activation: {cooling_s: 0, drain_threshold: 5}
                overflow: c
            """)
        let group = try #require(TestSupport.load(yaml)?.trunkGroup(named: "g"))
        #expect(group.activation == GroupActivationSettings(cooling: .zero, drainThreshold: 5))
        #expect(group.overflow == "c")
    }

    @Test("problems name the key and the line", arguments: [
        ("    overflow: a", "trunk_groups[0].overflow", "is a member of this group"),
        ("    overflow: nowhere", "trunk_groups[0].overflow", "no trunk named \"nowhere\""),
        ("    activation: {cooling_s: -1}", "trunk_groups[0].activation.cooling_s", "0-86400"),
        ("    activation: {drain_threshold: 100001}", "trunk_groups[0].activation.drain_threshold", "0-100000"),
        ("    activation: {cooling: 5}", "trunk_groups[0].activation.cooling", "unknown key"),
    ])
    func problems(line: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(group: line), keyPath: keyPath, line: 18, containing: message)
    }
}
