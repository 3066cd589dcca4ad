import Testing
@testable import SBCConfig

/// `trunks[].health.media_probe` (media-path probes, docs/HEALTH.md): defaults, values, and
/// problems that name the key.
@Suite("Media-path probe configuration")
struct MediaProbeConfigTests {
    /// Trunk `a` with `health: <health>` on line 9; `extra` appended at the end of the file.
    static func yaml(health: String, extra: String = "") -> String {
        FailoverConfigTests.yaml(trunk: "    health: \(health)") + extra
    }

    static let minimal = #"{media_probe: {number: "+15550009999", caller: "+15550000"}}"#

    @Test("absent by default; the defaults; every key read")
    func values() throws {
        let plain = try #require(TestSupport.load(FailoverConfigTests.yaml()))
        #expect(plain.trunks.first?.health.mediaProbe == nil)
        let defaults = try #require(TestSupport.load(Self.yaml(health: Self.minimal))?.trunks.first?.health.mediaProbe)
        #expect(defaults == MediaProbeSettings(number: "+15550009999", caller: "+15550000"))
        #expect(defaults.interval == .seconds(60) && defaults.answerTimeout == .seconds(10)
                    && defaults.timeout == .milliseconds(2000) && defaults.packets == 5 && defaults.minReceived == 1
                    && defaults.failAfter == 2)
        let tuned = #"{probe_interval_s: 1, probe_timeout_ms: 500, media_probe: {number: echo, caller: "15550000", "#
            + #"interval_s: 3, answer_timeout_s: 1, timeout_ms: 800, packets: 10, min_received: 4, fail_after: 3}}"#
        let health = try #require(TestSupport.load(Self.yaml(health: tuned))?.trunks.first?.health)
        #expect(health.probeInterval == .seconds(1), "the OPTIONS keys beside it still apply")
        #expect(health.mediaProbe == MediaProbeSettings(number: "echo", caller: "15550000", interval: .seconds(3),
                                                        answerTimeout: .seconds(1), timeout: .milliseconds(800),
                                                        packets: 10, minReceived: 4, failAfter: 3))
    }

    @Test("problems name the key", arguments: [
        (#"{caller: "+1"}"#, "trunks[0].health.media_probe.number", "is required"),
        (#"{number: "+1"}"#, "trunks[0].health.media_probe.caller", "is required"),
        (#"{number: "echo me", caller: "+1"}"#, "trunks[0].health.media_probe.number", "must be a number"),
        (#"{number: "+1", caller: "anonymous"}"#, "trunks[0].health.media_probe.caller", "must be a number"),
        (#"{number: "+1", caller: "+1", interval_s: 1}"#, "trunks[0].health.media_probe.interval_s", "2-86400"),
        (#"{number: "+1", caller: "+1", answer_timeout_s: 61}"#, "trunks[0].health.media_probe.answer_timeout_s", "1-60"),
        (#"{number: "+1", caller: "+1", timeout_ms: 50}"#, "trunks[0].health.media_probe.timeout_ms", "100-30000"),
        (#"{number: "+1", caller: "+1", packets: 0}"#, "trunks[0].health.media_probe.packets", "1-50"),
        (#"{number: "+1", caller: "+1", packets: 3, min_received: 4}"#, "trunks[0].health.media_probe.min_received", "1-3"),
        (#"{number: "+1", caller: "+1", fail_after: 0}"#, "trunks[0].health.media_probe.fail_after", "1-100"),
        (#"{number: "+1", caller: "+1", interval_s: 10}"#, "trunks[0].health.media_probe.interval_s", "must be more than"),
        (#"{number: "+1", caller: "+1", interval_s: 5, answer_timeout_s: 4, timeout_ms: 1000}"#,
         "trunks[0].health.media_probe.interval_s", "each probe must be decided before the next"),
        (#"{number: "+1", caller: "+1", answer_timeout_s: 60, timeout_ms: 1000, interval_s: 62}"#, "", ""),
        (#"{number: "+1", caller: "+1", every_s: 5}"#, "trunks[0].health.media_probe.every_s", "unknown key"),
    ])
    func problems(probe: String, keyPath: String, message: String) {
        let yaml = Self.yaml(health: "{media_probe: \(probe)}")
        if keyPath.isEmpty {
            #expect(TestSupport.problems(yaml).isEmpty, "62 s > 60 s + 1 s: fine")
        } else {
            TestSupport.expectSingleProblem(yaml, keyPath: keyPath, line: 9, containing: message)
        }
    }

    @Test("the probe's RTP needs media anchoring, and plain RTP on the trunk")
    func needsMedia() {
        TestSupport.expectSingleProblem(Self.yaml(health: Self.minimal, extra: "\nmedia: {enabled: false}"),
                                        keyPath: "trunks[0].health.media_probe", line: 9,
                                        containing: "media.enabled")
        let srtp = FailoverConfigTests.yaml(trunk: "    health: \(Self.minimal)\n    srtp: {policy: required}")
        TestSupport.expectSingleProblem(srtp, keyPath: "trunks[0].health.media_probe", line: 9,
                                        containing: "srtp")
    }
}
