import Foundation
import Testing
import Routing
import SBCConfig

/// Media-path probes in ``TrunkHealth`` with a manual clock: `fail_after` failures take a trunk
/// down with cause `media_path_failed`, OPTIONS successes alone do not bring it back, a passing
/// media probe does (through the hold), and locks, unprobed trunks and restarts keep the gate.
@Suite("Trunk health: media-path probes")
struct TrunkHealthMediaPathTests {
    static let probe = MediaProbeSettings(number: "+15550009999", caller: "+15550000", failAfter: 2)

    static func health(probe: Bool = true, hold: Duration = .seconds(10), failBack: FailBackPolicy = .auto,
                       media: MediaProbeSettings? = TrunkHealthMediaPathTests.probe) -> TrunkHealth {
        TrunkHealth(trunk: "carrier-b",
                    settings: TrunkHealthSettings(probe: probe, probeInterval: .seconds(1),
                                                  probeTimeout: .milliseconds(500), downAfter: 3, upAfter: 2,
                                                  recoveryHold: hold, mediaProbe: media),
                    failBack: failBack, now: .zero)
    }

    @Test("fail_after failures in a row: down with media_path_failed; fewer change nothing visible")
    func failuresTakeTheTrunkDown() {
        var h = Self.health()
        #expect(h.mediaProbeFailed(detail: "0 of 5 RTP packets came back", now: .seconds(60)).isEmpty)
        #expect(h.state == .up && h.consecutiveMediaFailures == 1 && !h.mediaPathFailed)
        let changes = h.mediaProbeFailed(detail: "0 of 5 RTP packets came back", now: .seconds(120))
        #expect(changes.count == 1)
        #expect(changes.first?.from == .up && changes.first?.to == .down)
        #expect(changes.first?.cause == TrunkStateChange.Cause.mediaPathFailed)
        #expect(changes.first?.cause == "media_path_failed")
        #expect(changes.first?.detail.contains("2 media probes in a row failed (last: 0 of 5 RTP packets came back)") == true)
        #expect(h.mediaPathFailed && !h.isSelectable && h.mediaProbesFailed == 2)
    }

    @Test("a passing probe in between resets the count")
    func passResetsTheCount() {
        var h = Self.health()
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(60))
        #expect(h.mediaProbePassed(detail: "5 of 5", now: .seconds(120)).isEmpty)
        #expect(h.consecutiveMediaFailures == 0 && h.lastMediaProbePassed == true)
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(180)).isEmpty)
        #expect(h.state == .up)
    }

    @Test("OPTIONS successes alone never bring a media-failed trunk back; a passing media probe does")
    func optionsAloneDoNotRecover() {
        var h = Self.health()
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(1))
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(2))
        #expect(h.state == .down)
        var now: Duration = .seconds(2)
        for _ in 0..<20 {
            now += .seconds(1)
            #expect(h.probeResult(alive: true, rtt: .milliseconds(3), detail: "OPTIONS answered 200", now: now).isEmpty)
        }
        #expect(h.state == .down && h.advance(to: now + .seconds(600)).isEmpty, "no hold runs for it either")
        now += .seconds(600)
        let back = h.mediaProbePassed(detail: "5 of 5 RTP packets came back", now: now)
        #expect(back.map(\.to) == [.recovering])
        #expect(back.first?.cause == TrunkStateChange.Cause.mediaPathRecovered)
        #expect(back.first?.detail.contains("OPTIONS probes answered") == true)
        #expect(!h.mediaPathFailed && !h.isSelectable, "the recovery hold still applies")
        #expect(h.advance(to: now + .seconds(10)).map(\.to) == [.up])
    }

    @Test("media passes before OPTIONS recover: the next up_after OPTIONS successes bring it back as usual")
    func mediaPassThenOptions() {
        var h = Self.health()
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(1))
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(2))
        _ = h.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(3))
        #expect(h.mediaProbePassed(detail: "ok", now: .seconds(4)).isEmpty, "the OPTIONS probes have not answered yet")
        #expect(h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(5)).isEmpty)
        let changes = h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(6))
        #expect(changes.map(\.to) == [.recovering] && changes.first?.cause == TrunkStateChange.Cause.probeRecovered)
    }

    @Test("a trunk down for failed OPTIONS is also held by a failed media path")
    func bothGates() {
        var h = Self.health()
        for second in 1...3 { _ = h.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(second)) }
        #expect(h.state == .down && h.cause == TrunkStateChange.Cause.probeFailed)
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(4)).isEmpty)
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(5)).isEmpty, "already down: no change, the gate closes")
        #expect(h.mediaPathFailed)
        _ = h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(6))
        #expect(h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(7)).isEmpty)
        #expect(h.mediaProbePassed(detail: "ok", now: .seconds(8)).map(\.to) == [.recovering])
    }

    @Test("degraded and recovering trunks go down at fail_after too")
    func fromRecoveringAndDegraded() {
        var h = Self.health()
        _ = h.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(1))
        #expect(h.state == .degraded)
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(2))
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(3)).map(\.to) == [.down])

        var r = Self.health()
        for second in 1...3 { _ = r.probeResult(alive: false, rtt: nil, detail: "timeout", now: .seconds(second)) }
        _ = r.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(4))
        _ = r.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(5))
        #expect(r.state == .recovering)
        _ = r.mediaProbeFailed(detail: "x", now: .seconds(6))
        let down = r.mediaProbeFailed(detail: "x", now: .seconds(7))
        #expect(down.map(\.to) == [.down] && down.first?.cause == "media_path_failed")
    }

    @Test("under a lock only the counters and the gate move; unlock goes down; the probe then recovers it")
    func lock() {
        var h = Self.health(failBack: .sticky)
        _ = h.lock(reason: "maintenance", actor: "ops", now: .seconds(1))
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(2)).isEmpty)
        #expect(h.mediaProbeFailed(detail: "x", now: .seconds(3)).isEmpty)
        #expect(h.state == .locked && h.mediaPathFailed)
        _ = h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(4))
        let unlocked = h.unlock(reason: "done", actor: "ops", now: .seconds(5))
        #expect(unlocked.map(\.to) == [.down])
        _ = h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(6))
        _ = h.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(7))
        #expect(h.state == .down)
        #expect(h.mediaProbePassed(detail: "ok", now: .seconds(8)).map(\.to) == [.recovering])
        #expect(h.advance(to: .seconds(18)).map(\.to) == [.recovering], "sticky: the hold ends awaiting approval")
        #expect(h.awaitingApproval)
    }

    @Test("a trunk that is not OPTIONS-probed: no unprobed hold while the gate is closed; a pass starts the hold")
    func unprobed() {
        var h = Self.health(probe: false)
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(1))
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(2))
        #expect(h.nextDeadline == nil && h.advance(to: .seconds(1000)).isEmpty)
        #expect(h.mediaProbePassed(detail: "ok", now: .seconds(1000)).map(\.to) == [.recovering])
        #expect(h.advance(to: .seconds(1010)).map(\.to) == [.up])
    }

    @Test("the gate survives a restart and a reload with the probe, not without it")
    func restore() {
        var h = Self.health()
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(1))
        _ = h.mediaProbeFailed(detail: "x", now: .seconds(2))
        let snapshot = h.snapshot(now: .seconds(3))
        #expect(snapshot.mediaPathFailed && snapshot.consecutiveMediaFailures == 2)
        var restored = TrunkHealth(restoring: snapshot, trunk: "carrier-b", settings: h.settings, failBack: .auto,
                                   now: .seconds(100))
        #expect(restored.mediaPathFailed && restored.state == .down)
        _ = restored.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(101))
        #expect(restored.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(102)).isEmpty)
        var settings = h.settings
        settings.mediaProbe = nil
        var unprobed = TrunkHealth(restoring: snapshot, trunk: "carrier-b", settings: settings, failBack: .auto,
                                   now: .seconds(100))
        #expect(!unprobed.mediaPathFailed, "without a media probe nothing could ever lift the gate")
        _ = unprobed.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(101))
        #expect(unprobed.probeResult(alive: true, rtt: nil, detail: "200", now: .seconds(102)).map(\.to) == [.recovering])
    }

    @Test("the snapshot's media keys: encoded, and absent in old rows")
    func snapshotCoding() throws {
        var snapshot = TrunkHealth.Snapshot(state: .down, cause: "media_path_failed")
        snapshot.mediaPathFailed = true
        snapshot.consecutiveMediaFailures = 3
        let data = try JSONEncoder().encode(snapshot)
        #expect(try JSONDecoder().decode(TrunkHealth.Snapshot.self, from: data) == snapshot)
        let old = try JSONDecoder().decode(TrunkHealth.Snapshot.self, from: Data(#"{"state": "down"}"#.utf8))
        #expect(!old.mediaPathFailed && old.consecutiveMediaFailures == 0)
    }
}
