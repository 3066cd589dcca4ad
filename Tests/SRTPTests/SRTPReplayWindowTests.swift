@testable import SRTP
import Testing

/// The replay window and index estimation on their own (RFC 3711 §3.3.1, §3.3.2, appendix A),
/// and the stream table that holds them.
@Suite struct SRTPReplayWindowTests {
    /// A window over storage the test owns.
    final class Window {
        let bits: UnsafeMutablePointer<UInt64>
        var window: SRTPReplayWindow

        init(size: Int) {
            bits = .allocate(capacity: size / 64)
            window = SRTPReplayWindow(bits: bits, size: size)
        }

        deinit { bits.deallocate() }

        /// Checks, and accepts when fresh.
        func offer(_ index: UInt64) -> SRTPReplayWindow.Verdict {
            let verdict = window.check(index)
            if verdict == .fresh { window.accept(index) }
            return verdict
        }
    }

    @Test func acceptsEachIndexOnceWithinTheWindow() {
        let window = Window(size: 64)
        #expect(window.offer(1000) == .fresh)
        #expect(window.offer(1000) == .replayed)
        #expect(window.offer(990) == .fresh)
        #expect(window.offer(990) == .replayed)
        #expect(window.offer(937) == .fresh, "63 behind: the oldest the window still knows")
        #expect(window.offer(936) == .tooOld)
        #expect(window.offer(1001) == .fresh)
        #expect(window.offer(937) == .tooOld)
        #expect(window.offer(990) == .replayed, "still remembered after the window moved")
    }

    @Test func forgetsWhatTheWindowLeaves() {
        let window = Window(size: 128)
        for index in 0..<100 as Range<UInt64> { #expect(window.offer(index) == .fresh) }
        // A jump by 100: indices 100...199 are new, 72...99 still seen, below 72 too old.
        #expect(window.offer(199) == .fresh)
        #expect(window.offer(150) == .fresh)
        #expect(window.offer(99) == .replayed)
        #expect(window.offer(72) == .replayed)
        #expect(window.offer(71) == .tooOld)
        // A jump beyond the window clears it all.
        #expect(window.offer(10_000) == .fresh)
        #expect(window.offer(9_900) == .fresh)
        #expect(window.offer(9_872) == .tooOld)
    }

    @Test func largeWindowsAdvanceWordByWord() {
        let window = Window(size: 4096)
        #expect(window.offer(5) == .fresh)
        #expect(window.offer(3000) == .fresh, "a jump across many words")
        #expect(window.offer(5) == .replayed)
        #expect(window.offer(6) == .fresh)
        #expect(window.offer(3000 + 4090) == .fresh)
        #expect(window.offer(3000) == .replayed)
        #expect(window.offer(2995) == .fresh, "4095 behind, never seen")
        #expect(window.offer(2994) == .tooOld)
    }

    @Test func estimatesTheRolloverCounter() {
        let window = Window(size: 128)
        #expect(window.window.estimateIndex(sequence: 65_000) == 65_000, "first packet: rollover counter 0")
        window.window.accept(65_000)
        #expect(window.window.estimateIndex(sequence: 65_535) == 65_535)
        #expect(window.window.estimateIndex(sequence: 10) == 1 << 16 | 10, "wrapped")
        window.window.accept(1 << 16 | 10)
        #expect(window.window.estimateIndex(sequence: 65_530) == 65_530, "late, from before the wrap")
        #expect(window.window.estimateIndex(sequence: 30_000) == 1 << 16 | 30_000)
        #expect(window.window.estimateIndex(sequence: 43_000) == 43_000, "more than 2^15 ahead: the previous cycle")
        // While the rollover counter is 0 it never goes below it (libsrtp2 does the same).
        let fresh = Window(size: 64)
        fresh.window.accept(100)
        #expect(fresh.window.estimateIndex(sequence: 60_000) == 60_000)
        // Never past 2^48 packets.
        let spent = Window(size: 64)
        spent.window.accept(UInt64(UInt32.max) << 16 | 60_000)
        #expect(spent.window.estimateIndex(sequence: 5) == nil)
    }

    @Test func streamTableForgetsTheLeastRecentlyUsedStream() {
        var table = SRTPStreamTable(windowSize: 64)
        for ssrc in 1...UInt32(SRTPStreamTable.capacity) {
            let known = table.find(ssrc)
            #expect(known == nil)
            let slot = table.insert(ssrc)
            table.rtp(slot).pointee.accept(UInt64(ssrc))
        }
        #expect(Int(table.count) == SRTPStreamTable.capacity)
        // Use every stream but 3, then add one more: 3 is the one forgotten.
        for ssrc in 1...UInt32(SRTPStreamTable.capacity) where ssrc != 3 {
            let found = table.find(ssrc)
            #expect(found != nil)
        }
        let slot = table.insert(100)
        #expect(table.slot(of: 3) == nil)
        #expect(table.slot(of: 100) == slot)
        #expect(table.rtp(slot).pointee.isEmpty && table.rtcp(slot).pointee.isEmpty, "the new stream starts with empty windows")
        let four = table.find(4)
        #expect(four.map { table.rtp($0).pointee.highest } == 4, "the others keep theirs")
        // Each slot's windows are its own: bits set in one are not seen by another.
        table.rtcp(slot).pointee.accept(5)
        #expect(four.map { table.rtcp($0).pointee.check(5) } == .fresh)
        #expect(table.rtcp(slot).pointee.check(5) == .replayed)
    }
}
