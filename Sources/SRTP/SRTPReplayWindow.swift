/// The packet indices one stream has accepted (RFC 3711 §3.3.2): the highest, and a bitmap of
/// the `size` indices up to it.
///
/// Why a ring: bit `index % size` stands for `index`, so advancing by one packet clears and sets
/// one bit instead of shifting the whole window, whatever its size (up to 32,768 for a large
/// `WSH`). The bits live in the stream table's allocation; this value only points at them, so it
/// can be copied while the table holds it but must not outlive it.
///
/// The same type serves SRTP (48-bit packet indices, estimated from sequence numbers) and SRTCP
/// (31-bit indices carried in the packet), inbound (replay protection) and outbound (a context
/// never protects two packets under one index, which would reuse keystream).
struct SRTPReplayWindow {
    enum Verdict: Sendable, Hashable {
        case fresh
        /// Accepted before.
        case replayed
        /// `size` or more below the highest: no longer known either way, refused.
        case tooOld
    }

    private let bits: UnsafeMutablePointer<UInt64>
    /// `size - 1`; `size` is a power of two, at least 64.
    private let mask: UInt64
    private(set) var highest: UInt64 = 0
    /// No index accepted yet.
    private(set) var isEmpty = true

    /// A window over `size / 64` words at `bits`, which the caller owns.
    init(bits: UnsafeMutablePointer<UInt64>, size: Int) {
        precondition(size >= 64 && size & (size - 1) == 0, "replay window size must be a power of two, at least 64")
        self.bits = bits
        mask = UInt64(size - 1)
        bits.update(repeating: 0, count: size / 64)
    }

    var size: UInt64 { mask + 1 }

    /// The index of an SRTP packet with `sequence` (RFC 3711 §3.3.1, appendix A): the one
    /// nearest the highest accepted, so the rollover counter moves on when the sequence number
    /// wraps and back for a late packet from before the wrap. The first packet gets rollover
    /// counter 0, and so does any while it is 0 (as libsrtp2 does). Nil when the rollover
    /// counter would pass 2^32 - 1: the key's 2^48 packets are spent.
    @inline(__always)
    func estimateIndex(sequence: UInt16) -> UInt64? {
        let sequence = UInt64(sequence)
        guard !isEmpty else { return sequence }
        let rolloverCounter = highest >> 16
        let last = highest & 0xFFFF
        if last < 0x8000 {
            if sequence > last + 0x8000, rolloverCounter > 0 { return (rolloverCounter - 1) << 16 | sequence }
        } else if sequence < last - 0x8000 {
            guard rolloverCounter < 0xFFFF_FFFF else { return nil }
            return (rolloverCounter + 1) << 16 | sequence
        }
        return rolloverCounter << 16 | sequence
    }

    @inline(__always)
    func check(_ index: UInt64) -> Verdict {
        if isEmpty || index > highest { return .fresh }
        if highest - index > mask { return .tooOld }
        return bits[word(index)] & bit(index) != 0 ? .replayed : .fresh
    }

    /// Records `index` as accepted; call only after ``check(_:)`` said `.fresh` (and, inbound,
    /// the packet authenticated).
    @inline(__always)
    mutating func accept(_ index: UInt64) {
        if isEmpty {
            isEmpty = false
            highest = index
        } else if index > highest {
            // The indices skipped lose their old bits; `index`'s own is set below. In order, the
            // common case, nothing is skipped.
            let skipped = index - highest - 1
            if skipped >= mask {
                bits.update(repeating: 0, count: Int(size / 64))
            } else if skipped > 0 {
                clear(from: highest &+ 1, count: skipped)
            }
            highest = index
        }
        bits[word(index)] |= bit(index)
    }

    /// Moves the window to a rollover counter a peer signalled, keeping the sequence number and
    /// forgetting which indices were seen (as libsrtp2's `srtp_set_stream_roc`).
    mutating func setRolloverCounter(_ rolloverCounter: UInt32) {
        highest = UInt64(rolloverCounter) << 16 | highest & 0xFFFF
        bits.update(repeating: 0, count: Int(size / 64))
    }

    /// Starts the window at `index`, as the stream stood when a previous process last reported
    /// it (docs/RESTART.md): later indices are fresh, nothing at or below it is known, so an
    /// index of the last `size` before it would be taken once more.
    mutating func resume(at index: UInt64) {
        isEmpty = false
        highest = index
        bits.update(repeating: 0, count: Int(size / 64))
    }

    @inline(__always)
    private func word(_ index: UInt64) -> Int { Int(truncatingIfNeeded: (index & mask) >> 6) }

    @inline(__always)
    private func bit(_ index: UInt64) -> UInt64 { 1 << (index & 63) }

    /// Clears the bits of `count` indices from `start` on, a word at a time.
    private func clear(from start: UInt64, count: UInt64) {
        var position = start & mask
        var remaining = count
        while remaining > 0 {
            let offset = position & 63
            let run = min(64 - offset, remaining)
            let runMask: UInt64 = run == 64 ? ~0 : ((1 << run) - 1) << offset
            bits[Int(truncatingIfNeeded: position >> 6)] &= ~runMask
            position = (position + run) & mask
            remaining -= run
        }
    }
}
