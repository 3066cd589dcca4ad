import Testing
@testable import SBCConfig

/// `overload`, `security.rate_limit` and the connection limits of `sip` (docs/OVERLOAD.md):
/// defaults, values, and the problems a wrong value gets, with key path and line.
@Suite struct OverloadConfigTests {
    @Test func defaultsProtectWithoutACeiling() throws {
        let config = try ConfigLoader.parse(yaml: TestSupport.minimal, source: "test.yaml")
        #expect(config.overload == OverloadSettings())
        #expect(config.overload.enabled)
        #expect(config.overload.maxCallsPerSecond == 0)
        #expect(config.overload.lagThreshold == .milliseconds(100))
        #expect(config.overload.retryAfter == 2)
        #expect(config.overload.receiveBufferBytes == 8 << 20)
        #expect(config.security.rateLimit == RateLimitSettings(requestsPerSecond: 20, burst: 40,
                                                                blockDuration: .seconds(60)))
        #expect(config.security.rateLimit.isEnabled)
        #expect(config.sip.maxConnections == 4096)
        #expect(config.sip.maxConnectionsPerSource == 64)
        #expect(config.sip.messageDeadline == .seconds(10))
    }

    @Test func valuesAreRead() throws {
        let yaml = TestSupport.minimal + """

            overload:
              enabled: false
              max_cps: 250
              cps_burst: 50
              lag_threshold_ms: 80
              queue_threshold_percent: 60
              hold_ms: 0
              retry_after_s: 0
              receive_buffer_bytes: 65536
              trim_memory: false
            security:
              rate_limit:
                requests_per_s: 0
                burst: 5
                block_s: 600
            """
        let config = try ConfigLoader.parse(yaml: yaml, source: "test.yaml")
        #expect(config.overload == OverloadSettings(enabled: false, maxCallsPerSecond: 250, burst: 50,
                                                    lagThreshold: .milliseconds(80), queueThresholdPercent: 60,
                                                    hold: .zero, retryAfter: 0, receiveBufferBytes: 65_536,
                                                    trimMemory: false))
        #expect(config.security.rateLimit == RateLimitSettings(requestsPerSecond: 0, burst: 5,
                                                                blockDuration: .seconds(600)))
        #expect(!config.security.rateLimit.isEnabled)
    }

    @Test func burstDefaultsToATenthOfASecond() {
        #expect(OverloadSettings(maxCallsPerSecond: 900).effectiveBurst == 90)
        #expect(OverloadSettings(maxCallsPerSecond: 5).effectiveBurst == 1)
        #expect(OverloadSettings(maxCallsPerSecond: 900, burst: 300).effectiveBurst == 300)
    }

    @Test func wrongValuesNameKeyAndLine() {
        TestSupport.expectSingleProblem(TestSupport.minimal + "\noverload:\n  max_cps: -1", keyPath: "overload.max_cps",
                                        line: 13, containing: "0-1000000")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\noverload:\n  queue_threshold_percent: 0",
                                        keyPath: "overload.queue_threshold_percent", line: 13, containing: "1-100")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\noverload:\n  receive_buffer_bytes: 1024",
                                        keyPath: "overload.receive_buffer_bytes", line: 13,
                                        containing: "65536-1073741824")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\noverload:\n  max_cpss: 10", keyPath: "overload.max_cpss",
                                        line: 13, containing: "max_cps")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nsecurity:\n  rate_limit:\n    block_s: 0",
                                        keyPath: "security.rate_limit.block_s", line: 14, containing: "1-86400")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nsecurity:\n  rate_limit:\n    burst: 0",
                                        keyPath: "security.rate_limit.burst", line: 14, containing: "1-1000000")
    }
}
