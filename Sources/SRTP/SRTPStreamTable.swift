/// The per-SSRC state of one context, in a small table allocated once, when the context is
/// built: the packet path looks streams up and adds them without allocating.
///
/// Like libsrtp2's template policies, a context takes any SSRC under its key. An inbound stream
/// is added only once a packet of it authenticated (the caller decides when to ``insert(_:)``),
/// so a forger cannot fill the table; an outbound one on the first packet protected. When all
/// ``capacity`` entries are in use, the stream used least recently is forgotten: a peer that
/// went through that many SSRCs under one key has long stopped sending on the oldest. Coming
/// back, it starts over with an empty window (and rollover counter 0), which is the one weakness
/// of a bounded table: packets of a forgotten stream could be replayed once to it.
///
/// Lookups check the last stream found first (a call's packets come in runs of one SSRC), then
/// scan the table, which at 16 entries costs less than hashing.
///
/// Why slots of whole cache lines, each holding a stream's head (``SRTPStream``), then its SRTP
/// window and bits, then its SRTCP window and bits: a worker with hundreds of calls finds most
/// contexts cold, and every line a packet touches is a cache miss. With the default 128-packet
/// window everything an RTP packet needs from the table is in the slot's first 64 bytes.
struct SRTPStreamTable: ~Copyable {
    /// Streams one context keeps at a time.
    static let capacity = 16

    private static let headBytes = 16
    private static let windowRecordBytes = 32
    private static let rtpWindowOffset = headBytes
    private static let rtpBitsOffset = headBytes + windowRecordBytes

    /// `capacity` slots of `slotBytes`, 64-byte aligned.
    private let slots: UnsafeMutableRawPointer
    private let slotBytes: Int32
    /// Bytes of one window's bits (`windowSize / 8`).
    private let bitsBytes: Int32
    let windowSize: Int32
    private(set) var count: Int32 = 0
    private var lastFound: Int32 = 0
    /// Advances on every lookup; a stream's `lastUse` is the clock when it was last found.
    private var clock: UInt64 = 0

    /// `windowSize`: replay window per stream and protocol, a power of two of at least 64.
    init(windowSize: Int) {
        precondition(MemoryLayout<SRTPStream>.stride <= Self.headBytes
                     && MemoryLayout<SRTPReplayWindow>.stride <= Self.windowRecordBytes)
        self.windowSize = Int32(windowSize)
        bitsBytes = Int32(windowSize / 8)
        let used = Self.rtpBitsOffset + 2 * Int(bitsBytes) + Self.windowRecordBytes
        slotBytes = Int32((used + 63) / 64 * 64)
        slots = .allocate(byteCount: Int(slotBytes) * Self.capacity, alignment: 64)
        slots.initializeMemory(as: UInt8.self, repeating: 0, count: Int(slotBytes) * Self.capacity)
    }

    deinit {
        slots.deallocate()
    }

    /// The slot of the stream with `ssrc`, marked as just used; nil when there is none.
    @inline(__always)
    mutating func find(_ ssrc: UInt32) -> Int? {
        clock &+= 1
        if lastFound < count, head(Int(lastFound)).pointee.ssrc == ssrc {
            head(Int(lastFound)).pointee.lastUse = clock
            return Int(lastFound)
        }
        for slot in 0..<Int(count) where head(slot).pointee.ssrc == ssrc {
            head(slot).pointee.lastUse = clock
            lastFound = Int32(slot)
            return slot
        }
        return nil
    }

    /// The slot of the stream with `ssrc`, without marking it used (for inspection).
    func slot(of ssrc: UInt32) -> Int? {
        (0..<Int(count)).first { head($0).pointee.ssrc == ssrc }
    }

    /// The SRTP window of the stream in `slot`, for reading and updating in place.
    @inline(__always)
    func rtp(_ slot: Int) -> UnsafeMutablePointer<SRTPReplayWindow> {
        (slots + Int(slotBytes) * slot + Self.rtpWindowOffset).assumingMemoryBound(to: SRTPReplayWindow.self)
    }

    /// The SRTCP window of the stream in `slot`.
    @inline(__always)
    func rtcp(_ slot: Int) -> UnsafeMutablePointer<SRTPReplayWindow> {
        (slots + Int(slotBytes) * slot + rtcpWindowOffset).assumingMemoryBound(to: SRTPReplayWindow.self)
    }

    /// Adds a stream for `ssrc` (not in the table) with empty windows and returns its slot,
    /// forgetting the least recently used stream when the table is full.
    mutating func insert(_ ssrc: UInt32) -> Int {
        let slot = count < Self.capacity
            ? Int(count) : (0..<Int(count)).min { head($0).pointee.lastUse < head($1).pointee.lastUse }!
        let base = slots + Int(slotBytes) * slot
        base.initializeMemory(as: SRTPStream.self, to: SRTPStream(ssrc: ssrc, lastUse: clock))
        let rtpBits = (base + Self.rtpBitsOffset).bindMemory(to: UInt64.self, capacity: Int(bitsBytes) / 8)
        (base + Self.rtpWindowOffset).initializeMemory(
            as: SRTPReplayWindow.self, to: SRTPReplayWindow(bits: rtpBits, size: Int(windowSize)))
        let rtcpBits = (base + rtcpWindowOffset + Self.windowRecordBytes)
            .bindMemory(to: UInt64.self, capacity: Int(bitsBytes) / 8)
        (base + rtcpWindowOffset).initializeMemory(
            as: SRTPReplayWindow.self, to: SRTPReplayWindow(bits: rtcpBits, size: Int(windowSize)))
        if slot == count { count += 1 }
        lastFound = Int32(slot)
        return slot
    }

    /// The SSRC of the stream in `slot` (below ``count``).
    func ssrc(_ slot: Int) -> UInt32 { head(slot).pointee.ssrc }

    @inline(__always)
    private func head(_ slot: Int) -> UnsafeMutablePointer<SRTPStream> {
        (slots + Int(slotBytes) * slot).assumingMemoryBound(to: SRTPStream.self)
    }

    private var rtcpWindowOffset: Int { Self.rtpBitsOffset + Int(bitsBytes) }
}
