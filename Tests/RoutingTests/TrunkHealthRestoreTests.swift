import Foundation
import Testing
import Routing
import SBCConfig

/// Snapshots and restore after a restart: the restarted SBC's clock has another origin, so only
/// relative times survive, and the rules are conservative (docs/HEALTH.md, "After a restart").
@Suite("Trunk health: snapshots and restore")
struct TrunkHealthRestoreTests {
    static func restore(_ snapshot: TrunkHealth.Snapshot, failBack: FailBackPolicy = .auto,
                        at now: Duration = .seconds(5000)) -> TrunkHealth {
        TrunkHealth(restoring: snapshot, trunk: "carrier-a", settings: HealthDriver.settings, failBack: failBack,
                    now: now)
    }

    /// Through JSON, as the store and the admin API carry it.
    static func roundTrip(_ snapshot: TrunkHealth.Snapshot) throws -> TrunkHealth.Snapshot {
        try JSONDecoder().decode(TrunkHealth.Snapshot.self, from: JSONEncoder().encode(snapshot))
    }

    @Test("a locked trunk stays locked, with who and why, whatever probes said")
    func lockedStaysLocked() throws {
        var driver = HealthDriver()
        _ = driver.health.lock(reason: "carrier maintenance", actor: "noc", now: driver.now)
        driver.succeed(3)
        let restored = Self.restore(try Self.roundTrip(driver.health.snapshot(now: driver.now)))
        #expect(restored.state == .locked)
        #expect(restored.lockedBy == "noc")
        #expect(restored.lockReason == "carrier maintenance")
        #expect(restored.cause == "restored")
        var after = restored
        #expect(after.probeResult(alive: true, rtt: nil, detail: "200 OK", now: .seconds(5001)).isEmpty)
        // Unlock uses the last probe result from before the restart.
        #expect(after.unlock(reason: "done", actor: "noc", now: .seconds(5002)).map(\.to) == [.recovering])
    }

    @Test("a quarantine keeps its remaining time, on the new clock")
    func quarantineKeepsRemaining() throws {
        var driver = HealthDriver()
        _ = driver.health.quarantine(until: .seconds(300), detail: "Retry-After: 300", now: .zero)
        let snapshot = driver.health.snapshot(now: .seconds(100))
        #expect(snapshot.quarantineRemaining == .seconds(200))
        var restored = Self.restore(try Self.roundTrip(snapshot), at: .seconds(7))
        #expect(restored.state == .quarantined)
        #expect(restored.quarantineUntil == .seconds(207))
        #expect(restored.nextDeadline == .seconds(207))
        #expect(restored.advance(to: .seconds(207)).map { [$0.from, $0.to] } == [[.quarantined, .up]])
    }

    @Test("a down trunk stays down until up_after probes answer, even if it was almost recovered")
    func downStaysDown() throws {
        var driver = HealthDriver()
        driver.goDown()
        driver.succeed()  // 1 of 2 before the restart
        var restored = Self.restore(try Self.roundTrip(driver.health.snapshot(now: driver.now)))
        #expect(restored.state == .down && !restored.isSelectable)
        #expect(restored.probeResult(alive: true, rtt: nil, detail: "200 OK", now: .seconds(5001)).isEmpty)
        #expect(restored.probeResult(alive: true, rtt: nil, detail: "200 OK", now: .seconds(5002)).map(\.to)
            == [.recovering])
    }

    @Test("a recovering trunk starts its hold again; a sticky one still awaits approval")
    func recoveringRestartsHold() throws {
        var driver = HealthDriver()
        driver.goRecovering()
        driver.succeed(8)  // 8 of 10 s held
        let restored = Self.restore(try Self.roundTrip(driver.health.snapshot(now: driver.now)))
        #expect(restored.state == .recovering)
        #expect(restored.nextDeadline == .seconds(5010))

        var sticky = HealthDriver(failBack: .sticky)
        sticky.goRecovering()
        sticky.succeed(10)
        #expect(sticky.health.awaitingApproval)
        var waiting = Self.restore(try Self.roundTrip(sticky.health.snapshot(now: sticky.now)), failBack: .sticky)
        #expect(waiting.awaitingApproval && waiting.state == .recovering)
        #expect(waiting.nextDeadline == nil)
        #expect(waiting.approveFailBack(actor: "noc", now: .seconds(5001)).map(\.to) == [.up])
        // The group became auto meanwhile: no approval is awaited, the hold applies.
        let auto = Self.restore(try Self.roundTrip(sticky.health.snapshot(now: sticky.now)), failBack: .auto)
        #expect(!auto.awaitingApproval)
        #expect(auto.nextDeadline == .seconds(5010))
    }

    @Test("a degraded trunk keeps its failure count; up restores as up; counters carry over")
    func degradedAndCounters() throws {
        var driver = HealthDriver()
        driver.succeed(4)
        driver.fail(2)
        var restored = Self.restore(try Self.roundTrip(driver.health.snapshot(now: driver.now)))
        #expect(restored.state == .degraded)
        #expect(restored.consecutiveFailures == 2)
        #expect(restored.probesSent == 6 && restored.probesFailed == 2)
        #expect(restored.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(5001)).map(\.to) == [.down])

        let up = Self.restore(TrunkHealth(trunk: "t", settings: HealthDriver.settings, failBack: .auto, now: .zero)
            .snapshot(now: .seconds(3)))
        #expect(up.state == .up && up.isSelectable)
    }

    @Test("a snapshot is JSON with durations as seconds; an old row with only a state decodes")
    func snapshotCoding() throws {
        var driver = HealthDriver()
        driver.succeed()
        _ = driver.health.quarantine(until: .milliseconds(31_500), detail: "Retry-After: 30", now: .seconds(1))
        let snapshot = driver.health.snapshot(now: .seconds(2))
        #expect(snapshot.state == .quarantined && snapshot.healthState == .up)
        #expect(snapshot.inState == .seconds(1))
        #expect(!snapshot.isSelectable)
        let json = try #require(String(data: JSONEncoder().encode(snapshot), encoding: .utf8))
        #expect(json.contains("\"quarantineRemaining\":29.5"))
        #expect(json.contains("\"lastProbeRTT\":0.012"))
        #expect(try Self.roundTrip(snapshot) == snapshot)

        let old = try JSONDecoder().decode(TrunkHealth.Snapshot.self,
                                           from: Data(#"{"state":"locked","lockedBy":"noc"}"#.utf8))
        #expect(old.healthState == .down)  // unknown under the lock: the conservative choice
        let restored = Self.restore(old)
        #expect(restored.state == .locked && restored.lockedBy == "noc")
    }

    @Test("snapshot shows the remaining recovery hold, and none under a lock")
    func holdRemaining() {
        var driver = HealthDriver()
        driver.goRecovering()
        #expect(driver.health.snapshot(now: driver.now + .seconds(4)).recoveryHoldRemaining == .seconds(6))
        _ = driver.health.lock(reason: "r", actor: "noc", now: driver.now)
        #expect(driver.health.snapshot(now: driver.now).recoveryHoldRemaining == nil)
    }
}
