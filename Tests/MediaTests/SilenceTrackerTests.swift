import Testing
import Media

@Suite("SilenceTracker")
struct SilenceTrackerTests {
    let timeouts = MediaTimeouts(active: .seconds(4), hold: .seconds(60))

    @Test("the active timeout applies while the remote sends, counted from the last packet")
    func active() {
        var tracker = SilenceTracker(timeouts: timeouts, remoteSends: true)
        tracker.arm(now: .seconds(10))
        tracker.packetReceived(at: .seconds(12))
        #expect(tracker.deadline == .seconds(16))
        #expect(tracker.check(now: .milliseconds(15_999)) == nil)
        #expect(tracker.check(now: .milliseconds(16_050)) == .milliseconds(4_050))
    }

    @Test("the hold timeout applies while the remote does not send")
    func hold() {
        var tracker = SilenceTracker(timeouts: timeouts, remoteSends: false)
        tracker.arm(now: .zero)
        #expect(tracker.check(now: .seconds(30)) == nil)
        #expect(tracker.check(now: .seconds(60)) == .seconds(60))
    }

    @Test("nil timeouts never fire; an unarmed tracker never fires")
    func disabled() {
        var off = SilenceTracker(timeouts: .disabled, remoteSends: true)
        off.arm(now: .zero)
        #expect(off.check(now: .seconds(3600)) == nil)
        var holdOff = SilenceTracker(timeouts: MediaTimeouts(active: .seconds(4), hold: nil), remoteSends: false)
        holdOff.arm(now: .zero)
        #expect(holdOff.check(now: .seconds(3600)) == nil)
        var unarmed = SilenceTracker(timeouts: timeouts, remoteSends: true)
        #expect(unarmed.check(now: .seconds(3600)) == nil)
    }

    @Test("fires once per arming; re-arming resets the clock")
    func oncePerArming() {
        var tracker = SilenceTracker(timeouts: timeouts, remoteSends: true)
        tracker.arm(now: .zero)
        #expect(tracker.check(now: .seconds(5)) == .seconds(5))
        #expect(tracker.check(now: .seconds(6)) == nil)
        tracker.packetReceived(at: .seconds(7))
        #expect(tracker.check(now: .seconds(20)) == nil)
        tracker.arm(now: .seconds(20))
        #expect(tracker.check(now: .seconds(23)) == nil)
        #expect(tracker.check(now: .seconds(24)) == .seconds(4))
        tracker.disarm()
        #expect(tracker.check(now: .seconds(100)) == nil)
    }

    @Test("arming after earlier packets counts from the arming; a direction change restarts")
    func restarts() {
        var tracker = SilenceTracker(timeouts: timeouts, remoteSends: false)
        tracker.packetReceived(at: .seconds(1))
        tracker.arm(now: .seconds(50))
        tracker.packetReceived(at: .seconds(2))  // older than the arming: ignored
        #expect(tracker.lastActivity == .seconds(50))
        // Off hold at 100 s: the active timeout applies, counted from then, not from 50 s.
        tracker.setRemoteSends(true, now: .seconds(100))
        #expect(tracker.applicableTimeout == .seconds(4))
        #expect(tracker.check(now: .seconds(103)) == nil)
        #expect(tracker.check(now: .seconds(104)) == .seconds(4))
    }
}
