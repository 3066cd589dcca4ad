import Testing
@testable import SBCConfig

/// `recovery` and `shutdown.mode` (docs/RESTART.md): defaults, values, and the problems a wrong
/// value gets, with key path and line.
@Suite struct RecoveryConfigTests {
    @Test func defaultsKeepCallsAcrossRestartsAndDrainOnSIGTERM() throws {
        let config = try ConfigLoader.parse(yaml: TestSupport.minimal, source: "test.yaml")
        #expect(config.recovery == RecoverySettings(enabled: true, grace: .seconds(10)))
        #expect(config.shutdown.mode == .drain)
    }

    @Test func valuesAreRead() throws {
        let yaml = TestSupport.minimal + "\nrecovery:\n  enabled: false\n  grace_s: 3\nshutdown:\n  mode: restart\n"
        let config = try ConfigLoader.parse(yaml: yaml, source: "test.yaml")
        #expect(config.recovery == RecoverySettings(enabled: false, grace: .seconds(3)))
        #expect(config.shutdown.mode == .restart)
    }

    @Test func restartModeWithoutRecoveryIsWarnedAbout() throws {
        let yaml = TestSupport.minimal + "\nrecovery:\n  enabled: false\nshutdown:\n  mode: restart\n"
        let loaded = try ConfigLoader.parseReporting(yaml: yaml, source: "test.yaml")
        let warning = try #require(loaded.warnings.first { $0.keyPath == "shutdown.mode" })
        #expect(warning.message.contains("recovery.enabled"))
        let fine = try ConfigLoader.parseReporting(yaml: TestSupport.minimal + "\nshutdown:\n  mode: restart\n",
                                                   source: "test.yaml")
        #expect(!fine.warnings.contains { $0.keyPath == "shutdown.mode" })
    }

    @Test func wrongValuesNameKeyAndLine() {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nrecovery:\n  grace_s: 3601", keyPath: "recovery.grace_s",
                                        line: 13, containing: "must be an integer 0-3600 (seconds), got 3601")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nshutdown:\n  mode: restrat", keyPath: "shutdown.mode",
                                        line: 13, containing: "must be one of drain, restart, got \"restrat\"")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nrecovery:\n  grace: 3", keyPath: "recovery.grace",
                                        line: 13, containing: "grace")
    }
}
