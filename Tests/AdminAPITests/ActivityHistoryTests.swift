import Testing
@testable import AdminAPI

/// The per-minute record behind the status page's failover and media-timeout charts.
@Suite struct ActivityHistoryTests {
    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        var now: Double
        init(_ now: Double) { self.now = now }
    }

    @Test func countsPerMinuteAndFillsQuietMinutesWithZeros() {
        let clock = ManualClock(1_700_000_000)  // 40 s into a minute
        let history = ActivityHistory(clock: { clock.now })
        history.record(.failover)
        history.record(.mediaTimeout, count: 2)
        clock.now += 125
        history.record(.midCallFailover)
        let minutes = history.minutes(last: 4)
        #expect(minutes.map(\.at) == [1_699_999_920, 1_699_999_980, 1_700_000_040, 1_700_000_100])
        #expect(minutes.map(\.failovers) == [0, 1, 0, 0])
        #expect(minutes.map(\.mediaTimeouts) == [0, 2, 0, 0])
        #expect(minutes.map(\.midCallFailovers) == [0, 0, 0, 1])
    }

    @Test func forgetsMinutesOlderThanADay() {
        let clock = ManualClock(1_700_000_000)
        let history = ActivityHistory(clock: { clock.now })
        history.record(.failover, count: 5)
        clock.now += Double(ActivityHistory.retainedMinutes) * 60
        history.record(.failover)
        let day = history.minutes(last: ActivityHistory.retainedMinutes)
        #expect(day.count == ActivityHistory.retainedMinutes)
        #expect(day.map(\.failovers).reduce(0, +) == 1, "the same ring slot a day later is a new minute")
    }

    @Test func observedTotalsRecordTheirGrowth() {
        let clock = ManualClock(1_700_000_000)
        let history = ActivityHistory(clock: { clock.now })
        history.observe(failoverTotal: 0)
        history.observe(failoverTotal: 2)
        history.observe(failoverTotal: 2)
        history.observe(failoverTotal: 5)
        #expect(history.minutes(last: 1).first?.failovers == 5)
    }

    @Test func clampsTheNumberOfMinutes() {
        let history = ActivityHistory(clock: { 1_700_000_000 })
        #expect(history.minutes(last: 0).count == 1)
        #expect(history.minutes(last: 100_000).count == ActivityHistory.retainedMinutes)
    }
}
