import Testing
import Routing
import SBCConfig

/// Deadlines: a late caller still gets the changes in time order, stamped with their deadlines;
/// overlays and the health state underneath interact as docs/HEALTH.md says.
@Suite("Trunk health: deadlines and overlays")
struct TrunkHealthDeadlineTests {
    @Test("a late advance runs the hold under a quarantine, then the expiry, in time order")
    func lateAdvanceInOrder() {
        var driver = HealthDriver()
        driver.goRecovering()  // recovering at 5 s, hold until 15 s
        _ = driver.health.quarantine(until: .seconds(20), detail: "Retry-After: 15", now: driver.now)
        #expect(driver.health.nextDeadline == .seconds(15))
        let changes = driver.health.advance(to: .seconds(100))
        #expect(changes.map { [$0.from, $0.to] } == [[.quarantined, .up]])  // the hold elapsed hidden at 15 s
        #expect(changes.first?.at == .seconds(20))
        #expect(driver.health.since == .seconds(20))
        #expect(driver.health.nextDeadline == nil)
    }

    @Test("events run due deadlines first: a probe after an unnoticed hold sees the trunk up")
    func eventsRunDeadlinesFirst() {
        var driver = HealthDriver()
        driver.goRecovering()  // hold until 15 s
        let changes = driver.health.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(16))
        #expect(changes.map(\.to) == [.up, .degraded])
        #expect(changes.map(\.at) == [.seconds(15), .seconds(16)])
    }

    @Test("approval under a quarantine is recorded; the trunk comes back up at expiry")
    func approvalUnderQuarantine() {
        var driver = HealthDriver(failBack: .sticky)
        driver.goRecovering()
        driver.succeed(10)
        #expect(driver.health.awaitingApproval)
        _ = driver.health.quarantine(until: driver.now + .seconds(30), detail: "Retry-After: 30", now: driver.now)
        #expect(driver.health.approveFailBack(actor: "noc", now: driver.now).isEmpty)
        #expect(!driver.health.awaitingApproval)
        #expect(driver.health.healthState == .up)
        #expect(driver.wait(.seconds(30)).map { [$0.from, $0.to] } == [[.quarantined, .up]])
    }

    @Test("a zero recovery hold fails back on the up_after-th probe")
    func zeroHold() {
        var settings = HealthDriver.settings
        settings.recoveryHold = .zero
        var driver = HealthDriver(settings: settings)
        driver.goDown()
        driver.succeed()
        #expect(driver.succeed().map(\.to) == [.recovering, .up])
    }

    @Test("the recovery hold and a quarantine give the earliest next deadline; a lock hides the hold")
    func nextDeadline() {
        var driver = HealthDriver()
        #expect(driver.health.nextDeadline == nil)
        driver.goRecovering()
        #expect(driver.health.nextDeadline == .seconds(15))
        _ = driver.health.quarantine(until: .seconds(8), detail: "Retry-After", now: driver.now)
        #expect(driver.health.nextDeadline == .seconds(8))
        _ = driver.health.lock(reason: "r", actor: "noc", now: driver.now)
        #expect(driver.health.nextDeadline == .seconds(8))  // the remembered quarantine is dropped then
        _ = driver.health.advance(to: .seconds(8))
        #expect(driver.health.nextDeadline == nil)
    }
}
