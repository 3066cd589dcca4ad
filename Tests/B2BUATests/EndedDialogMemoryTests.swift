import Testing
@testable import B2BUA

@Suite struct EndedDialogMemoryTests {
    @Test func remembersUntilItsLifetimeEnds() {
        var memory = EndedDialogMemory(lifetime: .seconds(32))
        memory.remember(callID: "c1", localTag: "t1", now: .seconds(100))
        #expect(memory.contains(callID: "c1", localTag: "t1"))
        #expect(!memory.contains(callID: "c1", localTag: "other"))
        memory.expire(now: .seconds(131))
        #expect(memory.contains(callID: "c1", localTag: "t1"))
        memory.expire(now: .seconds(132))
        #expect(!memory.contains(callID: "c1", localTag: "t1"))
        #expect(memory.count == 0)
    }

    @Test func oldestGoFirstBeyondCapacity() {
        var memory = EndedDialogMemory(lifetime: .seconds(32), capacity: 3)
        for index in 0..<5 { memory.remember(callID: "c\(index)", localTag: "t", now: .seconds(1)) }
        #expect(memory.count == 3)
        #expect(!memory.contains(callID: "c0", localTag: "t") && !memory.contains(callID: "c1", localTag: "t"))
        #expect(memory.contains(callID: "c4", localTag: "t"))
    }

    @Test func staysBoundedOverManyExpiries() {
        var memory = EndedDialogMemory(lifetime: .seconds(1), capacity: 100)
        for index in 0..<10_000 {
            memory.remember(callID: "c\(index)", localTag: "t", now: .milliseconds(index))
        }
        #expect(memory.count == 100)
        #expect(memory.contains(callID: "c9999", localTag: "t"))
        #expect(!memory.contains(callID: "c8000", localTag: "t"))
    }
}
