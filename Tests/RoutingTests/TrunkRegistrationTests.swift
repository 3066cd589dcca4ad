import Testing
import Routing
import SBCConfig

/// ``TrunkRegistration`` with a manual clock: refresh timing, backoff, Retry-After, 423
/// Min-Expires, expiry and un-registration; and what a lost binding does to ``TrunkHealth``.
@Suite("Trunk registration")
struct TrunkRegistrationTests {
    static let settings = TrunkRegistrationSettings(expires: 3600, retryMin: .seconds(5), retryMax: .seconds(300))

    struct Driver {
        var registration = TrunkRegistration(trunk: "carrier-a", settings: TrunkRegistrationTests.settings, now: .zero)
        var now: Duration = .zero

        mutating func wait(_ step: Duration) -> [TrunkRegistration.Action] {
            now += step
            return registration.advance(to: now)
        }

        mutating func answer(_ status: Int, _ reason: String = "", granted: Int? = nil, retryAfter: Int? = nil,
                             minExpires: Int? = nil) -> [TrunkRegistration.Action] {
            registration.responded(status: status, reason: reason, grantedExpires: granted, retryAfter: retryAfter,
                                   minExpires: minExpires, now: now)
        }
    }

    @Test("registers at start; refreshes at half the granted time, 30 s before expiry for short grants")
    func refreshTiming() {
        var d = Driver()
        #expect(d.registration.start(now: d.now) == [.send(expires: 3600)])
        #expect(d.registration.state == .registering)
        #expect(d.answer(200, "OK", granted: 3600) == [.registered(expires: 3600)])
        #expect(d.registration.bound)
        #expect(d.registration.nextDeadline == .seconds(1800))
        #expect(d.wait(.seconds(1799)).isEmpty)
        #expect(d.wait(.seconds(1)) == [.send(expires: 3600)], "refresh at half of 3600 s")
        #expect(d.registration.bound, "the binding stays while its refresh is in flight")
        #expect(d.answer(200, "OK", granted: 50) == [.registered(expires: 50)])
        #expect(d.registration.nextDeadline == d.now + .seconds(20), "50 s granted: 30 s before expiry (at 20 s)")

        #expect(TrunkRegistration.refreshDelay(granted: 3600) == .seconds(1800))
        #expect(TrunkRegistration.refreshDelay(granted: 60) == .seconds(30))
        #expect(TrunkRegistration.refreshDelay(granted: 40) == .seconds(10))
        #expect(TrunkRegistration.refreshDelay(granted: 20) == .seconds(5), "never sooner than 5 s")
        #expect(TrunkRegistration.refreshDelay(granted: 4) == .seconds(2), "half of a grant shorter than 10 s")
    }

    @Test("a refusal is a failure with exponential backoff, capped; success resets it")
    func backoff() {
        var d = Driver()
        _ = d.registration.start(now: d.now)
        #expect(d.answer(403, "Forbidden") == [.failed(detail: "REGISTER answered 403 Forbidden", retryIn: .seconds(5))])
        #expect(d.registration.state == .failed && !d.registration.bound)
        var delays: [Duration] = [.seconds(5)]
        for _ in 0..<8 {
            let wait = delays.last!
            #expect(d.wait(wait - .milliseconds(1)).isEmpty)
            #expect(d.wait(.milliseconds(1)) == [.send(expires: 3600)])
            guard case .failed(_, let retry?) = d.answer(503, "Service Unavailable").first else {
                Issue.record("expected a failure")
                return
            }
            delays.append(retry)
        }
        #expect(delays.map { $0.components.seconds } == [5, 10, 20, 40, 80, 160, 300, 300, 300])
        #expect(d.registration.failures == 9)
        _ = d.wait(.seconds(300))
        #expect(d.answer(200, "OK") == [.registered(expires: 3600)], "no granted expiry: the requested one")
        #expect(d.registration.failures == 0)
    }

    @Test("Retry-After replaces the backoff, at least retry_min_s and at most an hour")
    func retryAfter() {
        var d = Driver()
        _ = d.registration.start(now: d.now)
        #expect(d.answer(503, "Service Unavailable", retryAfter: 120)
            == [.failed(detail: "REGISTER answered 503 Service Unavailable", retryIn: .seconds(120))])
        #expect(d.registration.nextDeadline == .seconds(120))
        _ = d.wait(.seconds(120))
        #expect(d.answer(503, "Service Unavailable", retryAfter: 0).first
            == .failed(detail: "REGISTER answered 503 Service Unavailable", retryIn: .seconds(5)))
        _ = d.wait(.seconds(5))
        #expect(d.answer(503, "Service Unavailable", retryAfter: 86_400).first
            == .failed(detail: "REGISTER answered 503 Service Unavailable", retryIn: .seconds(3600)))
    }

    @Test("423 with a larger Min-Expires: asked again at once, kept for refreshes; a useless one fails")
    func intervalTooBrief() {
        var d = Driver()
        _ = d.registration.start(now: d.now)
        #expect(d.answer(423, "Interval Too Brief", minExpires: 7200) == [.send(expires: 7200)])
        #expect(d.registration.failures == 0)
        #expect(d.answer(200, "OK", granted: 7200) == [.registered(expires: 7200)])
        _ = d.wait(.seconds(3600))
        #expect(d.registration.requestedExpires == 7200)
        #expect(d.answer(423, "Interval Too Brief", minExpires: 7200).first
            == .failed(detail: "REGISTER answered 423 Interval Too Brief", retryIn: .seconds(5)))
    }

    @Test("timeouts and transport errors fail; a binding not refreshed in time is lost")
    func timeoutsAndExpiry() {
        var d = Driver()
        _ = d.registration.start(now: d.now)
        #expect(d.registration.failed(detail: "REGISTER not answered: Request Timeout", now: d.now)
            == [.failed(detail: "REGISTER not answered: Request Timeout", retryIn: .seconds(5))])
        #expect(d.registration.lastStatus == nil)
        _ = d.wait(.seconds(5))
        #expect(d.answer(200, "OK", granted: 100) == [.registered(expires: 100)])
        #expect(d.wait(.seconds(50)) == [.send(expires: 3600)])
        // The refresh gets no answer before the binding's end.
        #expect(d.wait(.seconds(50)) == [.failed(detail: "binding expired without a successful refresh", retryIn: nil)])
        #expect(!d.registration.bound)
        #expect(d.registration.state == .registering, "the refresh is still in flight")
    }

    @Test("2xx granting expires 0 is no binding")
    func zeroGrant() {
        var d = Driver()
        _ = d.registration.start(now: d.now)
        guard case .failed(let detail, _) = d.answer(200, "OK", granted: 0).first else {
            Issue.record("expected a failure")
            return
        }
        #expect(detail.contains("granted no binding"))
    }

    @Test("stop un-registers a binding (Expires: 0), and stops at once without one")
    func stop() {
        var d = Driver()
        #expect(d.registration.stop(now: d.now) == [.stopped])
        var bound = Driver()
        _ = bound.registration.start(now: bound.now)
        _ = bound.answer(200, "OK")
        #expect(bound.registration.stop(now: bound.now) == [.send(expires: 0)])
        #expect(bound.registration.nextDeadline == nil)
        #expect(bound.answer(200, "OK") == [.stopped])
        #expect(bound.registration.state == .stopped)
        #expect(bound.wait(.seconds(7200)).isEmpty, "nothing more is sent")
    }

    // MARK: Health

    static let health = TrunkHealthSettings(probeInterval: .seconds(1), probeTimeout: .milliseconds(800),
                                            downAfter: 3, upAfter: 2, recoveryHold: .seconds(10),
                                            probation: .seconds(60))

    @Test("a lost binding takes the trunk down whatever probes say; back through up_after and the hold")
    func lossTakesTrunkDown() {
        var health = TrunkHealth(trunk: "carrier-a", settings: Self.health, failBack: .auto, now: .zero)
        let down = health.registrationFailed(detail: "REGISTER answered 403 Forbidden", now: .seconds(1))
        #expect(down.map(\.to) == [.down])
        #expect(down.first?.cause == "registration_failed")
        #expect(health.detail == "REGISTER answered 403 Forbidden")
        for second in 2...6 {
            #expect(health.probeResult(alive: true, rtt: .milliseconds(5), detail: "200 OK", now: .seconds(second)).isEmpty,
                    "probes cannot bring an unregistered trunk back")
        }
        #expect(health.registrationFailed(detail: "again", now: .seconds(7)).isEmpty, "already down")
        #expect(health.registrationSucceeded(now: .seconds(8)).isEmpty)
        #expect(health.state == .down)
        #expect(health.probeResult(alive: true, rtt: nil, detail: "200 OK", now: .seconds(9)).isEmpty)
        let recovering = health.probeResult(alive: true, rtt: nil, detail: "200 OK", now: .seconds(10))
        #expect(recovering.map(\.to) == [.recovering], "up_after probes counted from the registration")
        #expect(health.advance(to: .seconds(20)).map(\.to) == [.up], "after the recovery hold")
    }

    @Test("an unprobed trunk fails back a hold after the registration returns; locks are respected")
    func unprobedAndLocked() {
        var unprobed = TrunkHealthSettings(probe: false)
        unprobed.recoveryHold = .seconds(10)
        var health = TrunkHealth(trunk: "carrier-a", settings: unprobed, failBack: .auto, now: .zero)
        _ = health.registrationFailed(detail: "REGISTER not answered", now: .seconds(1))
        #expect(health.advance(to: .seconds(100)).isEmpty, "no hold runs while unregistered")
        _ = health.registrationSucceeded(now: .seconds(100))
        #expect(health.nextDeadline == .seconds(110))
        #expect(health.advance(to: .seconds(110)).map(\.to) == [.up])

        var locked = TrunkHealth(trunk: "carrier-a", settings: Self.health, failBack: .auto, now: .zero)
        _ = locked.lock(reason: "maintenance", actor: "ops", now: .seconds(1))
        #expect(locked.registrationFailed(detail: "403", now: .seconds(2)).isEmpty)
        #expect(locked.state == .locked)
        let unlocked = locked.unlock(reason: "done", actor: "ops", now: .seconds(3))
        #expect(unlocked.map(\.to) == [.down], "unlocked while unregistered: down")
    }
}
