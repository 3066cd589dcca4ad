import Testing
import Routing
import SBCConfig

/// A manual clock and shorthand for driving one ``TrunkHealth`` in tests. Internal so that the
/// other TrunkHealth test files share it.
struct HealthDriver {
    var health: TrunkHealth
    var now: Duration = .zero

    /// Small numbers that make each row readable: 3 failures down, 2 successes up, 10 s hold,
    /// 60 s probation, 1 s probes.
    static let settings = TrunkHealthSettings(probeInterval: .seconds(1), probeTimeout: .milliseconds(800),
                                              downAfter: 3, upAfter: 2, recoveryHold: .seconds(10),
                                              probation: .seconds(60))

    init(settings: TrunkHealthSettings = HealthDriver.settings, failBack: FailBackPolicy = .auto) {
        health = TrunkHealth(trunk: "carrier-a", settings: settings, failBack: failBack, now: .zero)
    }

    var state: TrunkHealthState { health.state }

    /// Moves the clock by `step` and runs the deadlines due.
    @discardableResult
    mutating func wait(_ step: Duration) -> [TrunkStateChange] {
        now += step
        return health.advance(to: now)
    }

    @discardableResult
    mutating func fail(_ count: Int = 1, every step: Duration = .seconds(1)) -> [TrunkStateChange] {
        var changes: [TrunkStateChange] = []
        for _ in 0..<count {
            now += step
            health.probeSent(now: now)
            changes += health.probeResult(alive: false, rtt: nil, detail: "timeout after 800 ms", now: now)
        }
        return changes
    }

    @discardableResult
    mutating func succeed(_ count: Int = 1, every step: Duration = .seconds(1)) -> [TrunkStateChange] {
        var changes: [TrunkStateChange] = []
        for _ in 0..<count {
            now += step
            health.probeSent(now: now)
            changes += health.probeResult(alive: true, rtt: .milliseconds(12), detail: "200 OK", now: now)
        }
        return changes
    }

    /// Drives a fresh trunk down by probes (3 failures).
    mutating func goDown() {
        fail(3)
        #expect(state == .down)
    }

    /// Drives a fresh trunk to recovering (down, then 2 successes).
    mutating func goRecovering() {
        goDown()
        succeed(2)
        #expect(state == .recovering)
    }

    /// Drives a fresh trunk through a fail-back (recovering, then the 10 s hold with probes alive).
    mutating func failBack() {
        goRecovering()
        succeed(10)
        #expect(state == .up)
    }
}

/// One test per row of the transition table in docs/HEALTH.md, in the table's order.
@Suite("Trunk health transitions (docs/HEALTH.md table)")
struct TrunkHealthTransitionTests {
    @Test("row 1: up + failed probe below down_after -> degraded, still selectable")
    func upToDegraded() {
        var driver = HealthDriver()
        #expect(driver.state == .up && driver.health.isSelectable)
        let changes = driver.fail()
        #expect(changes.map(\.to) == [.degraded])
        #expect(changes.first?.cause == "probe_failed")
        #expect(changes.first?.from == .up)
        #expect(changes.first?.actor == nil)
        #expect(changes.first?.detail.contains("1 of 3") == true)
        #expect(driver.health.isSelectable)
        #expect(driver.health.consecutiveFailures == 1)
        #expect(driver.health.probesSent == 1 && driver.health.probesFailed == 1)
        #expect(driver.health.lastProbeRTT == nil)
    }

    @Test("row 2: up + failed probe reaching down_after (1) -> down directly")
    func upToDownWithDownAfterOne() {
        var settings = HealthDriver.settings
        settings.downAfter = 1
        var driver = HealthDriver(settings: settings)
        let changes = driver.fail()
        #expect(changes.map { [$0.from, $0.to] } == [[.up, .down]])
        #expect(changes.first?.cause == "probe_failed")
        #expect(!driver.health.isSelectable)
    }

    @Test("row 3: degraded + successful probe -> up")
    func degradedToUp() {
        var driver = HealthDriver()
        driver.fail()
        let changes = driver.succeed()
        #expect(changes.map { [$0.from, $0.to] } == [[.degraded, .up]])
        #expect(changes.first?.cause == "probe_recovered")
        #expect(driver.health.consecutiveFailures == 0)
        #expect(driver.health.lastProbeRTT == .milliseconds(12))
    }

    @Test("row 4: degraded + failed probe reaching down_after -> down")
    func degradedToDown() {
        var driver = HealthDriver()
        #expect(driver.fail(2).map(\.to) == [.degraded])  // the second failure changes nothing
        let changes = driver.fail()
        #expect(changes.map { [$0.from, $0.to] } == [[.degraded, .down]])
        #expect(changes.first?.cause == "probe_failed")
        #expect(changes.first?.detail.contains("3 probes in a row failed") == true)
        #expect(!driver.health.isSelectable)
    }

    @Test("row 5: down + up_after successful probes in a row -> recovering, not selectable")
    func downToRecovering() {
        var driver = HealthDriver()
        driver.goDown()
        #expect(driver.succeed().isEmpty)  // 1 of 2
        let changes = driver.succeed()
        #expect(changes.map { [$0.from, $0.to] } == [[.down, .recovering]])
        #expect(changes.first?.cause == "probe_recovered")
        #expect(!driver.health.isSelectable)
        #expect(driver.health.nextDeadline == driver.now + .seconds(10))
    }

    @Test("row 6: down + failed probe -> stays down and the success count starts again")
    func downFailureResetsCount() {
        var driver = HealthDriver()
        driver.goDown()
        driver.succeed()
        #expect(driver.fail().isEmpty)
        #expect(driver.succeed().isEmpty)  // only 1 of 2 again
        #expect(driver.state == .down)
        #expect(driver.succeed().map(\.to) == [.recovering])
    }

    @Test("row 7: recovering + failed probe -> down; the hold starts over after up_after again")
    func recoveringToDown() {
        var driver = HealthDriver()
        driver.goRecovering()
        driver.succeed(5)
        let changes = driver.fail()
        #expect(changes.map { [$0.from, $0.to] } == [[.recovering, .down]])
        #expect(changes.first?.cause == "probe_failed")
        #expect(driver.health.nextDeadline == nil)
        driver.succeed(2)
        #expect(driver.state == .recovering)
        #expect(driver.health.nextDeadline == driver.now + .seconds(10))  // a fresh hold
    }

    @Test("row 8: recovering + hold elapsed with probes alive, fail_back auto -> up")
    func holdElapsedAuto() {
        var driver = HealthDriver()
        driver.goRecovering()
        let entered = driver.now
        #expect(driver.succeed(9).isEmpty)
        let changes = driver.wait(.seconds(1))
        #expect(changes.map { [$0.from, $0.to] } == [[.recovering, .up]])
        #expect(changes.first?.cause == "recovery_hold_elapsed")
        #expect(changes.first?.at == entered + .seconds(10))
        #expect(driver.health.isSelectable)
        #expect(driver.health.nextDeadline == nil)
    }

    @Test("row 9: recovering + hold elapsed, fail_back sticky -> stays recovering, awaiting approval")
    func holdElapsedSticky() {
        var driver = HealthDriver(failBack: .sticky)
        driver.goRecovering()
        let changes = driver.succeed(10)
        #expect(changes.map { [$0.from, $0.to] } == [[.recovering, .recovering]])
        #expect(changes.first?.cause == "recovery_hold_elapsed")
        #expect(changes.first?.detail.contains("approval") == true)
        #expect(driver.health.awaitingApproval)
        #expect(!driver.health.isSelectable)
        #expect(driver.health.nextDeadline == nil)
        #expect(driver.wait(.seconds(3600)).isEmpty)  // nothing automatic fails it back
        #expect(driver.state == .recovering)
    }

    @Test("row 10: recovering awaiting approval + approveFailBack -> up, with the actor")
    func approveFailBack() {
        var driver = HealthDriver(failBack: .sticky)
        driver.goRecovering()
        #expect(driver.health.approveFailBack(actor: "noc", now: driver.now).isEmpty)  // hold not over yet
        driver.succeed(10)
        let changes = driver.health.approveFailBack(actor: "noc", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[.recovering, .up]])
        #expect(changes.first?.cause == "failback_approved")
        #expect(changes.first?.actor == "noc")
        #expect(!driver.health.awaitingApproval)
        #expect(driver.health.approveFailBack(actor: "noc", now: driver.now).isEmpty)  // nothing left to approve
    }

    @Test("row 11: up within probation after a fail-back + passive failure -> down (burst after fail-back)")
    func burstAfterFailBack() {
        var driver = HealthDriver()
        driver.failBack()
        driver.now += .seconds(30)
        let changes = driver.health.passiveFailure(detail: "503 Service Unavailable", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[.up, .down]])
        #expect(changes.first?.cause == "burst_after_failback")
        #expect(changes.first?.detail.contains("503") == true)
    }

    @Test("row 12: up outside probation (or never failed back) + passive failure -> no change")
    func passiveFailureOutsideProbation() {
        var fresh = HealthDriver()
        #expect(fresh.health.passiveFailure(detail: "503", now: .seconds(1)).isEmpty)
        var driver = HealthDriver()
        driver.failBack()
        driver.now += .seconds(60)  // probation is [0, 60 s)
        #expect(driver.health.passiveFailure(detail: "503", now: driver.now).isEmpty)
        #expect(driver.state == .up)
    }

    @Test("row 13: up or degraded + passiveDown -> down; probes then need up_after fresh successes")
    func passiveDown() {
        var driver = HealthDriver()
        driver.succeed(5)
        let changes = driver.health.passiveDown(detail: "5 failures within 60 s", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[.up, .down]])
        #expect(changes.first?.cause == "passive_failures")
        #expect(changes.first?.detail == "5 failures within 60 s")
        #expect(driver.succeed().isEmpty)
        #expect(driver.succeed().map(\.to) == [.recovering])

        var degraded = HealthDriver()
        degraded.fail()
        #expect(degraded.health.passiveDown(detail: "x", now: degraded.now).map(\.to) == [.down])
        var recovering = HealthDriver()
        recovering.goRecovering()
        #expect(recovering.health.passiveDown(detail: "x", now: recovering.now).isEmpty)  // not selectable anyway
    }

    @Test("row 14: any state but locked + quarantine -> quarantined until the deadline",
          arguments: [TrunkHealthState.up, .degraded, .down, .recovering])
    func quarantineFromAnyState(from initial: TrunkHealthState) {
        var driver = HealthDriver()
        switch initial {
        case .degraded: driver.fail()
        case .down: driver.goDown()
        case .recovering: driver.goRecovering()
        default: break
        }
        let changes = driver.health.quarantine(until: driver.now + .seconds(30), detail: "503 Retry-After: 30",
                                               now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[initial, .quarantined]])
        #expect(changes.first?.cause == "retry_after")
        #expect(changes.first?.detail.contains("30 s") == true)
        #expect(!driver.health.isSelectable)
        #expect(driver.health.quarantineUntil == driver.now + .seconds(30))
        #expect(driver.health.healthState == initial)
    }

    @Test("row 15: quarantined + a longer quarantine extends it, a shorter one does not shorten it")
    func quarantineExtends() {
        var driver = HealthDriver()
        _ = driver.health.quarantine(until: .seconds(30), detail: "Retry-After: 30", now: .zero)
        #expect(driver.health.quarantine(until: .seconds(60), detail: "Retry-After: 60", now: .seconds(1)).isEmpty)
        #expect(driver.health.quarantineUntil == .seconds(60))
        #expect(driver.health.quarantine(until: .seconds(10), detail: "Retry-After: 5", now: .seconds(5)).isEmpty)
        #expect(driver.health.quarantineUntil == .seconds(60))
        #expect(driver.wait(.seconds(59)).isEmpty)
        #expect(driver.wait(.seconds(1)).map(\.to) == [.up])
        // A deadline not in the future quarantines nothing.
        #expect(driver.health.quarantine(until: driver.now, detail: "Retry-After: 0", now: driver.now).isEmpty)
    }

    @Test("row 16: quarantine expiry -> the health state, as probes kept it during the quarantine")
    func quarantineExpiry() {
        var driver = HealthDriver()
        driver.fail()  // degraded
        _ = driver.health.quarantine(until: driver.now + .seconds(5), detail: "Retry-After: 5", now: driver.now)
        #expect(driver.health.nextDeadline == driver.now + .seconds(5))
        let changes = driver.wait(.seconds(5))
        #expect(changes.map { [$0.from, $0.to] } == [[.quarantined, .degraded]])
        #expect(changes.first?.cause == "quarantine_expired")
        #expect(driver.health.quarantineUntil == nil)

        // Probes that fail during the quarantine bring the trunk back down, not up.
        var probed = HealthDriver()
        _ = probed.health.quarantine(until: .seconds(10), detail: "Retry-After: 10", now: .zero)
        #expect(probed.fail(3).isEmpty)  // hidden under the quarantine
        #expect(probed.health.healthState == .down)
        #expect(probed.wait(.seconds(7)).map { [$0.from, $0.to] } == [[.quarantined, .down]])
    }

    @Test("row 17: any state + lock -> locked, with who and why",
          arguments: [TrunkHealthState.up, .degraded, .down, .recovering, .quarantined])
    func lockFromAnyState(from initial: TrunkHealthState) {
        var driver = HealthDriver()
        switch initial {
        case .degraded: driver.fail()
        case .down: driver.goDown()
        case .recovering: driver.goRecovering()
        case .quarantined: _ = driver.health.quarantine(until: .seconds(30), detail: "Retry-After", now: .zero)
        default: break
        }
        let changes = driver.health.lock(reason: "carrier maintenance CHG-1234", actor: "noc", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[initial, .locked]])
        #expect(changes.first?.cause == "operator_lock")
        #expect(changes.first?.actor == "noc")
        #expect(changes.first?.detail.contains("CHG-1234") == true)
        #expect(driver.health.lockedBy == "noc")
        #expect(driver.health.lockReason == "carrier maintenance CHG-1234")
        #expect(!driver.health.isSelectable)
        // Locking again updates who and why, without a change.
        #expect(driver.health.lock(reason: "extended", actor: "ops", now: driver.now).isEmpty)
        #expect(driver.health.lockedBy == "ops")
    }

    @Test("row 18: locked + probes, passive failures, quarantines and time -> stays locked; counters move")
    func lockedIgnoresAutomation() {
        var driver = HealthDriver()
        driver.failBack()
        _ = driver.health.lock(reason: "test", actor: "noc", now: driver.now)
        let sent = driver.health.probesSent
        #expect(driver.fail(5).isEmpty)
        #expect(driver.health.consecutiveFailures == 5)
        #expect(driver.health.probesSent == sent + 5)
        #expect(driver.succeed(5).isEmpty)
        #expect(driver.health.consecutiveSuccesses == 5)
        #expect(driver.health.passiveFailure(detail: "503", now: driver.now).isEmpty)
        #expect(driver.health.passiveDown(detail: "5 failures", now: driver.now).isEmpty)
        #expect(driver.health.quarantine(until: driver.now + .seconds(30), detail: "Retry-After", now: driver.now).isEmpty)
        #expect(driver.health.quarantineUntil == driver.now + .seconds(30))  // remembered
        #expect(driver.health.approveFailBack(actor: "noc", now: driver.now).isEmpty)
        #expect(driver.wait(.seconds(3600)).isEmpty)
        #expect(driver.state == .locked)
        #expect(driver.health.quarantineUntil == nil)  // expired under the lock, silently
    }

    @Test("row 19: locked + unlock after a failed last probe -> down")
    func unlockToDown() {
        var driver = HealthDriver()
        _ = driver.health.lock(reason: "maintenance", actor: "noc", now: driver.now)
        driver.succeed(3)
        driver.fail()
        let changes = driver.health.unlock(reason: "done", actor: "noc", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[.locked, .down]])
        #expect(changes.first?.cause == "operator_unlock")
        #expect(changes.first?.actor == "noc")
        #expect(driver.health.lockedBy == nil && driver.health.lockReason == nil)
        #expect(driver.succeed(2).map(\.to) == [.recovering])
    }

    @Test("row 20: locked + unlock after a successful (or no) probe -> recovering; the hold applies")
    func unlockToRecovering() {
        var driver = HealthDriver()
        _ = driver.health.lock(reason: "maintenance", actor: "noc", now: driver.now)
        driver.succeed(30)
        let changes = driver.health.unlock(reason: "done", actor: "noc", now: driver.now)
        #expect(changes.map { [$0.from, $0.to] } == [[.locked, .recovering]])
        #expect(!driver.health.isSelectable)
        #expect(driver.health.nextDeadline == driver.now + .seconds(10))
        #expect(driver.succeed(10).map(\.to) == [.up])

        var unprobed = HealthDriver()  // locked before any probe result
        _ = unprobed.health.lock(reason: "r", actor: "noc", now: .zero)
        #expect(unprobed.health.unlock(reason: "r", actor: "noc", now: .seconds(1)).map(\.to) == [.recovering])

        // A quarantine remembered under the lock and still running applies on unlock.
        var quarantined = HealthDriver()
        _ = quarantined.health.lock(reason: "r", actor: "noc", now: .zero)
        _ = quarantined.health.quarantine(until: .seconds(30), detail: "Retry-After: 30", now: .seconds(1))
        #expect(quarantined.health.unlock(reason: "r", actor: "noc", now: .seconds(2)).map(\.to) == [.quarantined])
        #expect(quarantined.health.healthState == .recovering)
    }

    @Test("row 21: unlock of a trunk that is not locked -> no-op")
    func unlockWhenNotLocked() {
        var driver = HealthDriver()
        #expect(driver.health.unlock(reason: "r", actor: "noc", now: .seconds(1)).isEmpty)
        #expect(driver.state == .up)
        driver.goDown()
        #expect(driver.health.unlock(reason: "r", actor: "noc", now: driver.now).isEmpty)
        #expect(driver.state == .down)
    }

    @Test("row 22: a trunk that is not probed: down + recovery hold elapsed -> up (auto) or awaiting approval (sticky)")
    func unprobedHold() {
        var settings = HealthDriver.settings
        settings.probe = false
        var auto = HealthDriver(settings: settings)
        _ = auto.health.passiveDown(detail: "5 failures", now: .zero)
        #expect(auto.health.nextDeadline == .seconds(10))
        let changes = auto.wait(.seconds(10))
        #expect(changes.map { [$0.from, $0.to] } == [[.down, .up]])
        #expect(changes.first?.cause == "recovery_hold_elapsed")
        // It failed back, so the probation applies.
        #expect(auto.health.passiveFailure(detail: "503", now: .seconds(11)).map(\.to) == [.down])

        var sticky = HealthDriver(settings: settings, failBack: .sticky)
        _ = sticky.health.passiveDown(detail: "5 failures", now: .zero)
        #expect(sticky.wait(.seconds(10)).map { [$0.from, $0.to] } == [[.down, .recovering]])
        #expect(sticky.health.awaitingApproval)
        #expect(sticky.health.approveFailBack(actor: "noc", now: sticky.now).map(\.to) == [.up])
    }

    @Test("row 23: restore -> the snapshot's state, cause restored")
    func restoreRow() {
        var driver = HealthDriver()
        driver.goDown()
        let restored = TrunkHealth(restoring: driver.health.snapshot(now: driver.now), trunk: "carrier-a",
                                   settings: HealthDriver.settings, failBack: .auto, now: .seconds(500))
        #expect(restored.state == .down)
        #expect(restored.cause == "restored")
        #expect(restored.since == .seconds(500))
        #expect(restored.detail.contains("was down (probe_failed)"))
    }
}
