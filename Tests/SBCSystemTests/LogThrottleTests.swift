import Testing
@testable import SBCSystem
@testable import SIPTransport

@Suite("LogThrottle")
struct LogThrottleTests {
    static func at(_ seconds: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: UInt64(seconds * 1e9)) }

    @Test("the first occurrence is logged, the rest of the interval counted, the next line says how many")
    func throttles() {
        var throttle = LogThrottle(interval: .seconds(10))
        let first = throttle.occurrence(at: Self.at(100))
        #expect(first.log && first.notLogged == 0)
        for t in stride(from: 100.5, to: 110, by: 0.5) {
            #expect(!throttle.occurrence(at: Self.at(t)).log)
        }
        #expect(throttle.suppressed == 19)
        let next = throttle.occurrence(at: Self.at(110))
        #expect(next.log && next.notLogged == 19)
        #expect(throttle.suppressed == 0)
        let later = throttle.occurrence(at: Self.at(125))
        #expect(later.log && later.notLogged == 0)
    }
}
