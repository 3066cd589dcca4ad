import SBCConfig
import Testing
@testable import SBCServer

/// Admission of new calls on a manual clock (docs/OVERLOAD.md).
@Suite struct AdmissionControlTests {
    static let start: Duration = .seconds(100)

    @Test("the calls-per-second ceiling admits max_cps a second after its burst")
    func ceiling() {
        var admission = AdmissionControl(settings: OverloadSettings(maxCallsPerSecond: 100, burst: 10), now: Self.start)
        var admitted = 0
        var refused = 0
        // 300 calls offered evenly over one second: 10 of burst + 100 of rate.
        for i in 0..<300 {
            let now = Self.start + .microseconds(i * 3333)
            switch admission.admitNewCall(now: now) {
            case .admit: admitted += 1
            case .refuse(let reason):
                refused += 1
                #expect(reason == .callsPerSecond)
            }
        }
        #expect((105...112).contains(admitted), "admitted \(admitted)")
        #expect(admitted + refused == 300)
    }

    @Test("no ceiling and no load: everything is admitted; disabled admits even when overloaded")
    func unlimited() {
        var admission = AdmissionControl(settings: OverloadSettings(), now: Self.start)
        for i in 0..<10_000 { let r1 = admission.admitNewCall(now: Self.start + .microseconds(i)); #expect(r1 == .admit) }
        var off = AdmissionControl(settings: OverloadSettings(enabled: false, maxCallsPerSecond: 1), now: Self.start)
        off.sampleLag(.seconds(1), now: Self.start)
        for _ in 0..<10 { let r2 = off.admitNewCall(now: Self.start); #expect(r2 == .admit) }
    }

    @Test("loop lag above the threshold refuses new calls beyond an adaptive ceiling, for the hold")
    func lag() throws {
        var admission = AdmissionControl(settings: OverloadSettings(lagThreshold: .milliseconds(40), hold: .milliseconds(500)),
                                         now: Self.start)
        // One second at 1000 calls/s, admitted: the measured rate.
        for i in 0..<1000 { _ = admission.admitNewCall(now: Self.start + .milliseconds(i)) }
        var now = Self.start + .seconds(1)
        admission.sampleLag(.milliseconds(10), now: now)
        let r3 = admission.isOverloaded(now: now)
        #expect(!r3, "10 ms is below the threshold")
        admission.sampleLag(.milliseconds(80), now: now)
        let r4 = admission.isOverloaded(now: now)
        #expect(r4)
        let rate = try #require(admission.adaptive?.rate)
        #expect((650...750).contains(rate), "70% of the last second's 1000: \(rate)")
        // Offered 1000/s for half a second: about 70% admitted, the rest refused for loop lag.
        var admitted = 0
        for i in 0..<500 {
            switch admission.admitNewCall(now: now + .milliseconds(i)) {
            case .admit: admitted += 1
            case .refuse(let reason): #expect(reason == .loopLag)
            }
        }
        #expect((330...450).contains(admitted), "admitted \(admitted)")
        // Lag persists: the ceiling falls by 20% a second, never below a quarter of its start.
        now += .milliseconds(1100)
        admission.sampleLag(.milliseconds(80), now: now)
        #expect(admission.adaptive!.rate < rate * 0.85)
        for _ in 0..<30 {
            now += .milliseconds(1100)
            admission.sampleLag(.milliseconds(80), now: now)
        }
        #expect(abs(admission.adaptive!.rate - rate / 4) < 1, "the floor: \(admission.adaptive!.rate)")
        // Load normal again: after the hold it is not overloaded; after 4 s the ceiling is lifted.
        now += .milliseconds(600)
        let r5 = admission.isOverloaded(now: now)
        #expect(!r5)
        #expect(admission.adaptive != nil, "the ceiling stays while the load proves itself")
        now += .seconds(5)
        let r6 = admission.isOverloaded(now: now)
        #expect(!r6)
        #expect(admission.adaptive == nil)
        let r7 = admission.admitNewCall(now: now)
        #expect(r7 == .admit)
    }

    @Test("a receive queue filled past its threshold is overload too")
    func queue() {
        var admission = AdmissionControl(settings: OverloadSettings(queueThresholdPercent: 25), now: Self.start)
        admission.sampleQueue(queuedBytes: 1000, bufferBytes: 8000, now: Self.start)
        let r8 = admission.isOverloaded(now: Self.start)
        #expect(!r8)
        admission.sampleQueue(queuedBytes: 3000, bufferBytes: 8000, now: Self.start)
        let r9 = admission.isOverloaded(now: Self.start)
        #expect(r9)
        #expect(admission.load == .overloaded(cause: .receiveQueue, until: Self.start + OverloadSettings.defaultHold))
    }
}

/// The per-source rate limit for strangers (security.rate_limit), on a manual clock.
@Suite struct SourceRateLimiterTests {
    @Test("a source over its rate is blocked for block_s, then metered afresh; others are not affected")
    func blocking() {
        let start: Duration = .seconds(50)
        var limiter = SourceRateLimiter<String>(
            settings: RateLimitSettings(requestsPerSecond: 10, burst: 5, blockDuration: .seconds(60)), now: start)
        for _ in 0..<5 { let r10 = limiter.admit("203.0.113.9", now: start); #expect(r10 == .allow) }
        let r11 = limiter.admit("203.0.113.9", now: start)
        #expect(r11 == .drop(newlyBlocked: true))
        let r12 = limiter.admit("203.0.113.9", now: start + .seconds(1))
        #expect(r12 == .drop(newlyBlocked: false))
        let r13 = limiter.admit("203.0.113.10", now: start + .seconds(1))
        #expect(r13 == .allow)
        #expect(limiter.blockedCount(now: start + .seconds(1)) == 1)
        let r14 = limiter.admit("203.0.113.9", now: start + .seconds(61))
        #expect(r14 == .allow, "the block expired")
        #expect(limiter.blockedCount(now: start + .seconds(61)) == 0)
    }

    @Test("steady traffic under the rate is never blocked; idle sources are forgotten; the table is bounded")
    func steadyAndBounded() {
        let start: Duration = .seconds(0)
        var limiter = SourceRateLimiter<Int>(settings: RateLimitSettings(requestsPerSecond: 10, burst: 2, blockDuration: .seconds(5)),
                                             capacity: 100, now: start)
        for i in 0..<100 { let r15 = limiter.admit(1, now: start + .milliseconds(i * 110)); #expect(r15 == .allow) }
        for source in 2...200 { _ = limiter.admit(source, now: start + .seconds(11)) }
        #expect(limiter.entries.count <= 100)
        let r16 = limiter.admit(5000, now: start + .seconds(11))
        #expect(r16 == .drop(newlyBlocked: false), "table full: refused")
        limiter.prune(now: start + .seconds(20))
        #expect(limiter.entries.isEmpty, "idle buckets refilled and were forgotten")
        var off = SourceRateLimiter<Int>(settings: RateLimitSettings(requestsPerSecond: 0), now: start)
        for _ in 0..<1000 { let r17 = off.admit(1, now: start); #expect(r17 == .allow) }
    }
}
