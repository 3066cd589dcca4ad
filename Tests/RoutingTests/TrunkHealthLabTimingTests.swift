import Foundation
import Testing
import Routing
import SBCConfig

/// The lab's health timings (shared/LAB.md, conf/lab.yaml): OPTIONS every 1 s with an 800 ms
/// timeout, down after 3 failures, up after 2 successes, fail-back after 10 s of sustained health.
/// Probes are simulated exactly as the caller sends them: one per second, a dead carrier's probe
/// failing when its timeout fires.
@Suite("Trunk health: lab timings")
struct TrunkHealthLabTimingTests {
    /// The health settings of carrier-a in conf/lab.yaml, read through the real loader so that a
    /// change to the lab file is checked against these timings.
    static func labSettings() throws -> (TrunkHealthSettings, FailBackPolicy) {
        let recorded = URL(fileURLWithPath: String(#filePath))
        var directory = recorded.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("conf/lab.yaml").path) {
            directory.deleteLastPathComponent()
        }
        let config = try ConfigLoader.load(path: directory.appendingPathComponent("conf/lab.yaml").path)
        let carrier = try #require(config.trunk(named: "carrier-a"))
        let group = try #require(config.trunkGroup(named: "pstn-out"))
        return (carrier.health, group.failBack)
    }

    /// Probe results of a carrier that stops answering at `death` and answers again from `revival`,
    /// probes sent every second from `start`; returns every change.
    static func run(_ health: inout TrunkHealth, settings: TrunkHealthSettings, from start: Duration,
                    to end: Duration, death: Duration, revival: Duration = .seconds(1_000_000)) -> [TrunkStateChange] {
        var changes: [TrunkStateChange] = []
        var sent = start
        while sent <= end {
            health.probeSent(now: sent)
            let alive = sent < death || sent >= revival
            if alive {
                changes += health.probeResult(alive: true, rtt: .milliseconds(3), detail: "200 OK",
                                              now: sent + .milliseconds(3))
            } else {
                changes += health.probeResult(alive: false, rtt: nil, detail: "timeout after 800 ms",
                                              now: sent + settings.probeTimeout)
            }
            sent += settings.probeInterval
            changes += health.advance(to: sent)
        }
        return changes
    }

    @Test("conf/lab.yaml has the LAB.md timings")
    func labFile() throws {
        let (settings, failBack) = try Self.labSettings()
        #expect(settings == TrunkHealthSettings(probe: true, probeInterval: .seconds(1), probeTimeout: .milliseconds(800),
                                                aliveCodes: [], aliveClasses: [2], downAfter: 3, upAfter: 2,
                                                recoveryHold: .seconds(10), probation: .seconds(60)))
        #expect(failBack == .auto)
    }

    @Test("a carrier that dies is down within 5 s, timeouts included, whatever the phase of the probes",
          arguments: [0, 1, 250, 500, 799, 800, 999])
    func downWithinFiveSeconds(phaseMilliseconds: Int) throws {
        let (settings, failBack) = try Self.labSettings()
        var health = TrunkHealth(trunk: "carrier-a", settings: settings, failBack: failBack, now: .zero)
        let death = Duration.seconds(100) + .milliseconds(phaseMilliseconds)
        let changes = Self.run(&health, settings: settings, from: .zero, to: .seconds(110), death: death)
        let down = try #require(changes.first { $0.to == .down })
        #expect(down.at - death <= .seconds(5))
        #expect(down.at - death > .seconds(2))  // three probes, never one lost packet
        #expect(changes.first { $0.to == .degraded }.map { $0.at < down.at } == true)
        #expect(health.state == .down)
    }

    @Test("a carrier that comes back is recovering after 2 probes and takes calls 10 s later")
    func failBackAfterTenSeconds() throws {
        let (settings, failBack) = try Self.labSettings()
        var health = TrunkHealth(trunk: "carrier-a", settings: settings, failBack: failBack, now: .zero)
        let changes = Self.run(&health, settings: settings, from: .zero, to: .seconds(150),
                               death: .seconds(100), revival: .seconds(120))
        #expect(changes.map(\.to) == [.degraded, .down, .recovering, .up])
        let recovering = try #require(changes.first { $0.to == .recovering })
        let up = try #require(changes.last)
        #expect(recovering.at == .seconds(121) + .milliseconds(3))  // the second good probe
        #expect(up.at - recovering.at == .seconds(10))
        #expect(up.cause == "recovery_hold_elapsed")
        #expect(health.isSelectable)
    }

    @Test("a flapping carrier (one probe lost in every three) never goes down and never flaps the state")
    func flappingCarrier() throws {
        let (settings, failBack) = try Self.labSettings()
        var health = TrunkHealth(trunk: "carrier-a", settings: settings, failBack: failBack, now: .zero)
        var changes: [TrunkStateChange] = []
        for second in 1...60 {
            let now = Duration.seconds(second)
            health.probeSent(now: now)
            let alive = second % 3 != 0
            changes += health.probeResult(alive: alive, rtt: alive ? .milliseconds(3) : nil,
                                          detail: alive ? "200 OK" : "timeout", now: now + .milliseconds(800))
        }
        #expect(!changes.contains { $0.to == .down })
        #expect(health.isSelectable)
    }

    @Test("a carrier that fails again during the hold restarts it; a failure just after fail-back is a burst")
    func holdRestartAndProbation() throws {
        let (settings, failBack) = try Self.labSettings()
        var health = TrunkHealth(trunk: "carrier-a", settings: settings, failBack: failBack, now: .zero)
        var changes = Self.run(&health, settings: settings, from: .zero, to: .seconds(8), death: .zero,
                               revival: .seconds(5))
        #expect(health.state == .recovering)
        changes = health.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(10))
        #expect(changes.map(\.to) == [.down])
        changes = Self.run(&health, settings: settings, from: .seconds(11), to: .seconds(30), death: .zero,
                           revival: .zero)
        #expect(changes.map(\.to) == [.recovering, .up])
        let failedBack = try #require(changes.last?.at)
        #expect(failedBack == .seconds(12) + .milliseconds(3) + .seconds(10))
        let burst = health.passiveFailure(detail: "503 Service Unavailable", now: failedBack + .seconds(5))
        #expect(burst.map(\.cause) == ["burst_after_failback"])
    }
}
