import CSBCLinux
import Media

/// Every stream's two legs, and the four send destinations they imply, in flat buffers.
///
/// Stream slot s owns legs 2s (side a) and 2s+1 (side b), and destinations 4s...4s+3: for leg L,
/// `2L` is where RTP towards L's party goes and `2L+1` where its RTCP goes. Packets arriving on
/// leg L are sent using leg L^1's destinations, which carry the descriptor of L^1's own socket,
/// so the packet path never looks anything up.
///
/// The buffers only move when the table grows, which happens while applying commands, never
/// while a receive batch holds pointers into them.
struct RelayLegTable {
    private(set) var legs: UnsafeMutablePointer<RelayLeg>
    private(set) var destinations: UnsafeMutablePointer<csbc_relay_destination>
    private(set) var streamCapacity: Int
    /// Stream slots ever used: legs below `2 * highWater` are initialised.
    private(set) var highWater = 0
    private var free: [Int32] = []
    private(set) var streamCount = 0
    /// Owners of the legs' SRTP contexts, by leg index (entries below `legLimit`): a leg's
    /// unmanaged references are valid exactly as long as its entry holds them.
    private(set) var srtp: [RelayLegSRTP?] = []

    init(streamCapacity: Int = 32) {
        self.streamCapacity = max(1, streamCapacity)
        legs = .allocate(capacity: 2 * self.streamCapacity)
        destinations = .allocate(capacity: 4 * self.streamCapacity)
    }

    func deallocate() {
        legs.deinitialize(count: 2 * highWater)
        legs.deallocate()
        destinations.deallocate()
    }

    /// Legs that may be in use (the rest of the buffer is uninitialised).
    var legLimit: Int { 2 * highWater }

    /// Takes a stream slot and initialises its legs and (empty) destinations.
    mutating func allocateStream(a: RelayLeg, b: RelayLeg) -> Int32 {
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            legs[2 * Int(slot)] = a
            legs[2 * Int(slot) + 1] = b
        } else {
            if highWater == streamCapacity { grow() }
            slot = Int32(highWater)
            (legs + 2 * highWater).initialize(to: a)
            (legs + 2 * highWater + 1).initialize(to: b)
            srtp.append(contentsOf: [nil, nil])
            highWater += 1
        }
        for i in 0..<4 {
            csbc_relay_destination_clear(destinations + 4 * Int(slot) + i)
        }
        streamCount += 1
        return slot
    }

    /// Frees a stream slot whose sockets are already closed. Its legs' SRTP state goes into
    /// `retired`, for the caller to free off the packet path.
    mutating func releaseStream(_ slot: Int32, retiring retired: inout [RelayLegSRTP]) {
        for index in 2 * Int(slot)...2 * Int(slot) + 1 {
            if let old = srtp[index] { retired.append(old) }
            srtp[index] = nil
            legs[index].session = -1
        }
        for i in 0..<4 {
            csbc_relay_destination_clear(destinations + 4 * Int(slot) + i)
        }
        free.append(slot)
        streamCount -= 1
    }

    /// Installs `srtp` on leg `index` (nil: plain) and returns what it replaces, for the caller
    /// to free off the packet path. Called between receive batches, so the packet path sees the
    /// old contexts or the new ones, never a mix; the stream's `streamHasSRTP` follows.
    mutating func setSRTP(_ srtp: RelayLegSRTP?, leg index: Int32) -> RelayLegSRTP? {
        let old = self.srtp[Int(index)]
        self.srtp[Int(index)] = srtp
        let leg = legs + Int(index)
        leg.pointee.isSecure = srtp != nil
        leg.pointee.srtpInbound = srtp?.inbound.map { Unmanaged.passUnretained($0) }
        leg.pointee.srtpOutbound = srtp?.outbound.map { Unmanaged.passUnretained($0) }
        let first = Int(index) & ~1
        let streamHasSRTP = self.srtp[first] != nil || self.srtp[first + 1] != nil
        legs[first].streamHasSRTP = streamHasSRTP
        legs[first + 1].streamHasSRTP = streamHasSRTP
        return old
    }

    /// Records that leg `index`'s SRTP positions were reported at `mark`.
    mutating func noteSRTPReported(_ mark: UInt64, leg index: Int32) {
        srtp[Int(index)]?.reportedMark = mark
    }

    @inline(__always)
    func leg(_ index: Int32) -> UnsafeMutablePointer<RelayLeg> {
        legs + Int(index)
    }

    /// RTP destination towards leg `index`'s party; RTCP is the next entry.
    @inline(__always)
    func rtpDestination(towards index: Int32) -> UnsafeMutablePointer<csbc_relay_destination> {
        destinations + 2 * Int(index)
    }

    private mutating func grow() {
        let newCapacity = streamCapacity * 2
        let newLegs = UnsafeMutablePointer<RelayLeg>.allocate(capacity: 2 * newCapacity)
        newLegs.moveInitialize(from: legs, count: 2 * highWater)
        legs.deallocate()
        legs = newLegs
        let newDestinations = UnsafeMutablePointer<csbc_relay_destination>.allocate(capacity: 4 * newCapacity)
        newDestinations.moveInitialize(from: destinations, count: 4 * highWater)
        destinations.deallocate()
        destinations = newDestinations
        streamCapacity = newCapacity
    }
}
