/// Receive-side statistics of one RTP source, as RFC 3550 appendix A.1, A.3 and A.8 define them.
///
/// Sequence numbers are extended with a cycle count so loss survives the 16-bit wrap; a new
/// source must deliver `minimumSequential` packets in order before it counts (probation), and a
/// jump larger than `maxDropout` is believed only when the next packet confirms it (the sender
/// restarted). Jitter is kept in integer timestamp units scaled by 16, as A.8's reference code
/// does, so the per-packet update is a few integer operations and never allocates.
///
/// A change of SSRC (a re-INVITE to another device, a transfer) starts a new source; what the old
/// one lost is carried over so the call's cumulative loss never goes backwards.
public struct RTPReceiveStatistics: Sendable, Equatable {
    @usableFromInline static let sequenceModulus: UInt32 = 1 << 16
    @usableFromInline static let maxDropout: UInt16 = 3000
    @usableFromInline static let maxMisorder: UInt16 = 100
    @usableFromInline static let minimumSequential: UInt32 = 2

    @usableFromInline var hasSource = false
    @usableFromInline var ssrc: UInt32 = 0
    @usableFromInline var maxSequence: UInt16 = 0
    /// Shifted count of sequence number cycles (a multiple of 65536).
    @usableFromInline var cycles: UInt32 = 0
    @usableFromInline var baseSequence: UInt32 = 0
    @usableFromInline var badSequence: UInt32 = 0
    @usableFromInline var probation: UInt32 = 0
    @usableFromInline var receivedCount: UInt32 = 0
    @usableFromInline var hasTransit = false
    @usableFromInline var transit: UInt32 = 0
    /// Interarrival jitter in timestamp units, times 16.
    @usableFromInline var scaledJitter: UInt32 = 0
    /// Loss of earlier sources, kept across SSRC changes.
    @usableFromInline var previousLost: Int64 = 0

    public init() {}

    /// Feeds one RTP packet. `arrival` is the arrival time in the stream's timestamp units (see
    /// `arrivalUnits(nanoseconds:clockRate:)`); only differences between arrivals matter.
    @inlinable
    public mutating func record(sequence: UInt16, timestamp: UInt32, ssrc: UInt32, arrival: UInt32) {
        if !hasSource || ssrc != self.ssrc {
            startSource(ssrc: ssrc, sequence: sequence)
        }
        guard updateSequence(sequence) else { return }
        // A.8: transit time difference, smoothed with gain 1/16.
        let transit = arrival &- timestamp
        if hasTransit {
            let difference = Int32(bitPattern: transit &- self.transit)
            let d = difference.magnitude
            scaledJitter = scaledJitter &+ d &- ((scaledJitter &+ 8) >> 4)
        }
        self.transit = transit
        hasTransit = true
    }

    @usableFromInline
    mutating func startSource(ssrc: UInt32, sequence: UInt16) {
        if hasSource { previousLost += currentLost }
        hasSource = true
        self.ssrc = ssrc
        initSequence(sequence)
        maxSequence = sequence &- 1
        probation = RTPReceiveStatistics.minimumSequential
        hasTransit = false
        scaledJitter = 0
    }

    @usableFromInline
    mutating func initSequence(_ sequence: UInt16) {
        baseSequence = UInt32(sequence)
        maxSequence = sequence
        badSequence = RTPReceiveStatistics.sequenceModulus + 1
        cycles = 0
        receivedCount = 0
    }

    /// A.1 `update_seq`: true when the packet counts as received.
    @usableFromInline
    mutating func updateSequence(_ sequence: UInt16) -> Bool {
        let delta = sequence &- maxSequence
        if probation > 0 {
            if sequence == maxSequence &+ 1 {
                probation -= 1
                maxSequence = sequence
                if probation == 0 {
                    initSequence(sequence)
                    receivedCount += 1
                    return true
                }
            } else {
                probation = RTPReceiveStatistics.minimumSequential - 1
                maxSequence = sequence
            }
            return false
        }
        if delta < RTPReceiveStatistics.maxDropout {
            if sequence < maxSequence {
                cycles &+= RTPReceiveStatistics.sequenceModulus
            }
            maxSequence = sequence
        } else if UInt32(delta) <= RTPReceiveStatistics.sequenceModulus - UInt32(RTPReceiveStatistics.maxMisorder) {
            // A very large jump: believe it only if the next packet follows it.
            if UInt32(sequence) == badSequence {
                initSequence(sequence)
            } else {
                badSequence = (UInt32(sequence) + 1) & (RTPReceiveStatistics.sequenceModulus - 1)
                return false
            }
        }
        // Otherwise a duplicate or reordered packet: counted, max unchanged.
        receivedCount &+= 1
        return true
    }

    // MARK: - Reading

    /// Packets counted for the current source (after probation).
    public var received: UInt32 { receivedCount }

    /// The highest sequence number seen, extended with the cycle count.
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }

    /// A.3: packets expected from the current source.
    public var expected: Int64 {
        guard hasSource, probation == 0 else { return 0 }
        return Int64(extendedHighestSequence) - Int64(baseSequence) + 1
    }

    @usableFromInline
    var currentLost: Int64 {
        guard hasSource, probation == 0 else { return 0 }
        return expected - Int64(receivedCount)
    }

    /// A.3 cumulative number of packets lost, over every source seen.
    public var cumulativeLost: Int64 { previousLost + currentLost }

    /// A.8 interarrival jitter in timestamp units (what an RTCP report block carries).
    public var jitter: UInt32 { scaledJitter >> 4 }

    /// Jitter converted to milliseconds, keeping the fraction the integer form drops.
    public func jitterMilliseconds(clockRate: UInt32) -> Double {
        guard clockRate > 0 else { return 0 }
        return Double(scaledJitter) / 16 / Double(clockRate) * 1000
    }

    /// A clock reading in a stream's timestamp units (mod 2^32), for `record`'s `arrival`.
    /// Full-width arithmetic: nanoseconds times 90 kHz overflows 64 bits after a few days.
    @inlinable
    public static func arrivalUnits(nanoseconds: UInt64, clockRate: UInt32) -> UInt32 {
        // Capped so the quotient always fits 64 bits; no codec clock comes near 1 GHz.
        let product = nanoseconds.multipliedFullWidth(by: UInt64(min(clockRate, 1_000_000_000)))
        let (quotient, _) = UInt64(1_000_000_000).dividingFullWidth(product)
        return UInt32(truncatingIfNeeded: quotient)
    }
}
