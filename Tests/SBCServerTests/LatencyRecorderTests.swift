import Testing
@testable import SBCServer

@Suite struct LatencyRecorderTests {
    @Test func percentilesOfRecordedSamples() {
        var recorder = LatencyRecorder()
        #expect(recorder.percentile(0.5) == nil)
        for micros in 1...100 { recorder.record(.microseconds(micros)) }
        #expect(recorder.percentile(0.5) == .microseconds(51))
        #expect(recorder.percentile(0.99) == .microseconds(100))
        #expect(recorder.summary == "p50 51 us, p99 100 us, max 100 us over 100 samples")
    }

    @Test func boundedMemoryKeepsRecentSamples() {
        var recorder = LatencyRecorder(capacity: 10)
        for micros in 1...25 { recorder.record(.microseconds(micros)) }
        #expect(recorder.count == 25)
        #expect(recorder.percentile(0) == .microseconds(16), "the oldest 15 were replaced")
    }
}
