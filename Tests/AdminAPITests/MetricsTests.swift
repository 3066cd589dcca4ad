import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// `SBCMetrics` series and `GET /metrics`.
@Suite struct MetricsTests {
    @Test func rendersEverySeries() {
        let metrics = SBCMetrics()
        metrics.setTrunkState(trunk: "carrier-a", state: "up")
        metrics.setTrunkState(trunk: "carrier-a", state: "down")
        metrics.setProbeRTT(trunk: "carrier-a", seconds: 0.025)
        metrics.callAttempted(trunk: "carrier-a")
        metrics.callAttempted(trunk: "carrier-a")
        metrics.callAnswered(trunk: "carrier-a")
        metrics.failover(from: "carrier-a", cause: "timeout")
        metrics.setActiveCalls(7)
        let text = metrics.render()
        #expect(text.contains(#"sbc_trunk_state{trunk="carrier-a",state="down"} 1"#))
        #expect(text.contains(#"sbc_trunk_state{trunk="carrier-a",state="up"} 0"#))
        #expect(text.contains(#"sbc_trunk_probe_rtt_seconds{trunk="carrier-a"} 0.025"#))
        #expect(text.contains(#"sbc_calls_total{trunk="carrier-a",outcome="attempted"} 2"#))
        #expect(text.contains(#"sbc_calls_total{trunk="carrier-a",outcome="answered"} 1"#))
        #expect(text.contains(#"sbc_failovers_total{trunk="carrier-a",cause="timeout"} 1"#))
        #expect(text.contains("sbc_active_calls 7"))
        #expect(text.contains("# TYPE sbc_calls_total counter"))
    }

    @Test func restartSeries() {
        let metrics = SBCMetrics()
        metrics.setRestoredCalls(restored: 3, tornDown: 1, dropped: 2)
        metrics.setRecoverableCalls(3)
        metrics.setRecoverableCalls(2)
        let text = metrics.render()
        #expect(text.contains(#"sbc_restored_calls{outcome="restored"} 3"#))
        #expect(text.contains(#"sbc_restored_calls{outcome="torn_down"} 1"#))
        #expect(text.contains(#"sbc_restored_calls{outcome="dropped"} 2"#))
        #expect(text.contains("sbc_recoverable_calls 2"))
        #expect(text.contains("# TYPE sbc_restored_calls gauge"))
    }

    @Test func safeFromManyThreads() async {
        let metrics = SBCMetrics()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<1000 {
                        metrics.callAttempted(trunk: "t\(worker % 2)")
                        metrics.setTrunkState(trunk: "t\(worker % 2)", state: index % 2 == 0 ? "up" : "down")
                    }
                }
            }
        }
        let text = metrics.render()
        #expect(text.contains(#"sbc_calls_total{trunk="t0",outcome="attempted"} 4000"#))
        #expect(text.contains(#"sbc_calls_total{trunk="t1",outcome="attempted"} 4000"#))
    }

    @Test func endpointServesPrometheusText() async throws {
        let metrics = SBCMetrics()
        metrics.setTrunkState(trunk: "carrier-a", state: "up")
        metrics.callAttempted(trunk: "carrier-a")
        try await TestSupport.application(metrics: metrics).test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get, headers: TestSupport.headers(token: TestSupport.metricsToken))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = TestSupport.text(response)
            #expect(text.contains(#"sbc_trunk_state{trunk="carrier-a",state="up"} 1"#))
            #expect(text.contains(#"sbc_calls_total{trunk="carrier-a",outcome="attempted"} 1"#))
            let anonymous = try await client.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
