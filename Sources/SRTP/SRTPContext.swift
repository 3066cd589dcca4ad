import CSBCOpenSSL
import Glibc
import SDP

/// SRTP and SRTCP (RFC 3711, RFC 7714) for one direction of one leg under one master key: the
/// SBC's own transforms on OpenSSL's libcrypto.
///
/// Why not libsrtp2: Debian builds it against NSS, which runs every AES-CM packet through a new
/// PKCS#11 context (and GCM through a one-shot PKCS#11 call), with locks and allocations each
/// time; in the relay that cost several times the whole plain relay's per-packet work. Here the
/// session keys are derived once, when the context is built, into preallocated OpenSSL contexts
/// (AES-NI, SHA-NI): a packet costs an IV re-initialisation, the cipher and the tag, and nothing
/// is allocated. libsrtp2 stays linked as the independent reference the tests check every suite
/// against (``SRTPLibrary``), and for `sbc --version`.
///
/// Built off the packet path (key derivation and OpenSSL keying take tens of microseconds), then
/// handed to the media worker that owns the leg; the worker calls ``protectRTP(_:length:)`` and
/// friends in place on its receive buffers. Keeping the context keeps each stream's rollover
/// counter and replay window: a re-INVITE that keeps the keys must keep the context, one that
/// changes them swaps in a new one.
///
/// Why a final class: the relay stores contexts in its leg tables and swaps them whole; a
/// reference is one word and `deinit` frees the OpenSSL state exactly once.
/// `@unchecked Sendable` because it is transferred once (creator to worker) and then used by
/// that one thread only; it must never be used from two threads at a time.
///
/// Streams are per SSRC (``SRTPStreamTable``), like libsrtp2's `ssrc_any_inbound` /
/// `ssrc_any_outbound` templates: an inbound stream is added only after its first packet
/// authenticated, so a forger cannot make the table churn.
public final class SRTPContext: @unchecked Sendable {
    // Stored properties in the order an RTP packet needs them: a class keeps its declaration
    // order, so these share the object's first cache lines (a worker's contexts are mostly cold).

    /// Packets the key may still protect or authenticate (the `a=crypto` lifetime), counted
    /// apart for SRTP and SRTCP as RFC 4568 §6.1 asks. Unchecked exclusivity here and below:
    /// only the owning worker touches them, and the dynamic check would cost more than it guards.
    @exclusivity(unchecked) private var rtpPacketsLeft: UInt64
    @exclusivity(unchecked) private var streams: SRTPStreamTable
    private let rtp: SRTPTransform
    private let rtpLayout: SRTPTrailerLayout
    public let direction: SRTPDirection
    /// Bytes of the MKI as sent (0: none) at `mki`.
    private let mkiLength: Int
    private let mki: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var rtcpPacketsLeft: UInt64
    private let rtcp: SRTPTransform
    private let rtcpLayout: SRTPTrailerLayout
    public let suite: SRTPCryptoSuite
    /// Whether SRTCP is sent authenticated but unencrypted (`UNENCRYPTED_SRTCP`, E flag 0).
    public let unencryptedSRTCP: Bool

    /// Whether packets carry an MKI (the key was given one).
    public var usesMKI: Bool { mkiLength > 0 }

    /// Bytes a buffer needs past an RTP packet for ``protectRTP(_:length:)`` under any context:
    /// a 16-byte tag and a 128-byte MKI. This context needs ``rtpTrailerLength``.
    public static let rtpTailRoom = 144
    /// The same for ``protectRTCP(_:length:)``: the trailer plus the 4-byte SRTCP index.
    public static let rtcpTailRoom = 148
    /// The replay window when the peer gives no `WSH` (libsrtp2's default too).
    public static let defaultReplayWindow = 128
    /// The largest replay window; larger `WSH` hints are capped to it.
    public static let maximumReplayWindow = 32_768

    /// Bytes ``protectRTP(_:length:)`` appends: MKI and tag.
    public var rtpTrailerLength: Int { rtpLayout.length }
    /// Bytes ``protectRTCP(_:length:)`` appends: E flag and index, MKI and tag.
    public var rtcpTrailerLength: Int { rtcpLayout.length }

    /// A context for `suite` keyed with `key` (master key || salt, optional lifetime and MKI).
    ///
    /// - Parameters:
    ///   - unencryptedSRTCP: SRTCP authenticated only (the E bit clear), as negotiated.
    ///   - replayWindow: the replay window in packets; nil for ``defaultReplayWindow``. A peer's
    ///     `WSH` is a hint: values are clamped to 64...``maximumReplayWindow`` and rounded up
    ///     to a power of two.
    public convenience init(suite: SRTPCryptoSuite, key: SDPCryptoKeyParameter, direction: SRTPDirection,
                            unencryptedSRTCP: Bool = false, replayWindow: Int? = nil) throws(SRTPSetupError)
    {
        guard key.keyAndSalt.count == suite.keyAndSaltLength else {
            throw .wrongKeyLength(suite: suite, actual: key.keyAndSalt.count)
        }
        var (rtpKeys, rtcpKeys) = try SRTPSessionKeys.derive(suite: suite, keyAndSalt: key.keyAndSalt)
        defer {
            rtpKeys.wipe()
            rtcpKeys.wipe()
        }
        try self.init(suite: suite, rtp: rtpKeys, rtcp: rtcpKeys, direction: direction, mki: key.mki?.bytes ?? [],
                      lifetime: key.lifetime?.packetCount ?? .max, unencryptedSRTCP: unencryptedSRTCP,
                      replayWindow: replayWindow)
    }

    /// The context for one direction of a stream negotiated by SDES: inbound with the peer's
    /// key and its `WSH`, outbound with the SBC's key.
    public convenience init(keys: SDESStreamKeys, direction: SRTPDirection) throws(SRTPSetupError) {
        switch direction {
        case .inbound:
            try self.init(suite: keys.suite, key: keys.remote, direction: .inbound,
                          unencryptedSRTCP: keys.unencryptedSRTCP, replayWindow: keys.remoteWindowSizeHint)
        case .outbound:
            try self.init(suite: keys.suite, key: keys.local, direction: .outbound,
                          unencryptedSRTCP: keys.unencryptedSRTCP)
        }
    }

    /// A context keyed with session keys directly, as RFC 7714's test vectors give them.
    init(suite: SRTPCryptoSuite, rtp rtpKeys: SRTPSessionKeys, rtcp rtcpKeys: SRTPSessionKeys, direction: SRTPDirection,
         mki: [UInt8] = [], lifetime: UInt64 = .max, unencryptedSRTCP: Bool = false,
         replayWindow: Int? = nil) throws(SRTPSetupError)
    {
        self.suite = suite
        self.direction = direction
        self.unencryptedSRTCP = unencryptedSRTCP
        rtp = try SRTPTransform(suite: suite, keys: rtpKeys, rtcp: false)
        rtcp = try SRTPTransform(suite: suite, keys: rtcpKeys, rtcp: true)
        rtpLayout = .rtp(suite: suite, mkiLength: mki.count)
        rtcpLayout = .rtcp(suite: suite, mkiLength: mki.count)
        mkiLength = mki.count
        self.mki = .allocate(capacity: max(1, mki.count))
        self.mki.initialize(from: mki, count: mki.count)
        let window = min(max(replayWindow ?? Self.defaultReplayWindow, 64), Self.maximumReplayWindow)
        streams = SRTPStreamTable(windowSize: 1 << (Int.bitWidth - (window - 1).leadingZeroBitCount))
        rtpPacketsLeft = lifetime
        rtcpPacketsLeft = lifetime
    }

    deinit {
        mki.deallocate()
    }

    // MARK: Packets

    /// Protects the RTP packet in `buffer[0..<length]` in place and returns the SRTP length.
    /// `buffer` needs ``rtpTrailerLength`` bytes free after `length`.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        let packet = try start(buffer, length: length, protecting: true, tailRoom: rtpLayout.length)
        guard rtpPacketsLeft > 0 else { throw .keyExpired }
        let headerLength = try Self.rtpHeaderLength(packet, length: length, trailer: 0)
        let ssrc = Self.read32(packet + 8)
        let slot = streams.find(ssrc)
        let index = try estimate(sequence: Self.read16(packet + 2), slot: slot)
        let end = packet + length
        guard rtp.transformRTP(.outbound, packet, headerLength: headerLength, payloadEnd: length, ssrc: ssrc, index: index,
                               tag: end + rtpLayout.tag) == .ok else { throw .cryptoFailure }
        (end + rtpLayout.mki).update(from: mki, count: mkiLength)
        let stream = slot ?? streams.insert(ssrc)
        streams.rtp(stream).pointee.accept(index)
        rtpPacketsLeft -= 1
        return length + rtpLayout.length
    }

    /// Authenticates, replay-checks and decrypts the SRTP packet in `buffer[0..<length]` in
    /// place and returns the RTP length. After a failure the buffer's bytes are undefined (GCM
    /// decrypts before it knows the tag is wrong): drop the packet, never relay it.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        let packet = try start(buffer, length: length, protecting: false, tailRoom: 0)
        guard rtpPacketsLeft > 0 else { throw .keyExpired }
        let headerLength = try Self.rtpHeaderLength(packet, length: length, trailer: rtpLayout.length)
        let payloadEnd = length - rtpLayout.length
        let end = packet + payloadEnd
        try checkMKI(at: end + rtpLayout.mki)
        let ssrc = Self.read32(packet + 8)
        let slot = streams.find(ssrc)
        let index = try estimate(sequence: Self.read16(packet + 2), slot: slot)
        try Self.check(rtp.transformRTP(.inbound, packet, headerLength: headerLength, payloadEnd: payloadEnd, ssrc: ssrc,
                                        index: index, tag: end + rtpLayout.tag))
        let stream = slot ?? streams.insert(ssrc)
        streams.rtp(stream).pointee.accept(index)
        rtpPacketsLeft -= 1
        return payloadEnd
    }

    /// Protects the (compound) RTCP packet in place; ``rtcpTrailerLength`` bytes must be free.
    /// Each SSRC's SRTCP index counts from 1, as libsrtp2's does (receivers take any start).
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        let packet = try start(buffer, length: length, protecting: true, tailRoom: rtcpLayout.length)
        guard rtcpPacketsLeft > 0 else { throw .keyExpired }
        guard length >= 8 else { throw .packetTooShort(length: length, minimum: 8) }
        let ssrc = Self.read32(packet + 4)
        let slot = streams.find(ssrc)
        let last = slot.map { streams.rtcp($0).pointee.isEmpty ? 0 : streams.rtcp($0).pointee.highest } ?? 0
        guard last < 0x7FFF_FFFF else { throw .keyExpired }
        let index = UInt32(last + 1)
        let encrypted = !unencryptedSRTCP
        let end = packet + length
        Self.write32(encrypted ? 0x8000_0000 | index : index, to: end + rtcpLayout.index)
        guard rtcp.transformRTCP(.outbound, packet, payloadEnd: length, ssrc: ssrc, index: index, encrypted: encrypted,
                                 trailer: end + rtcpLayout.index, tag: end + rtcpLayout.tag) == .ok else { throw .cryptoFailure }
        (end + rtcpLayout.mki).update(from: mki, count: mkiLength)
        let stream = slot ?? streams.insert(ssrc)
        streams.rtcp(stream).pointee.accept(UInt64(index))
        rtcpPacketsLeft -= 1
        return length + rtcpLayout.length
    }

    /// Authenticates, replay-checks and (unless the E bit is clear) decrypts an SRTCP packet;
    /// as for RTP, a failed packet's bytes are undefined.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        let packet = try start(buffer, length: length, protecting: false, tailRoom: 0)
        guard rtcpPacketsLeft > 0 else { throw .keyExpired }
        guard length >= 8 + rtcpLayout.length else {
            throw .packetTooShort(length: length, minimum: 8 + rtcpLayout.length)
        }
        let payloadEnd = length - rtcpLayout.length
        let end = packet + payloadEnd
        try checkMKI(at: end + rtcpLayout.mki)
        let word = Self.read32(end + rtcpLayout.index)
        let encrypted = word & 0x8000_0000 != 0
        let index = word & 0x7FFF_FFFF
        let ssrc = Self.read32(packet + 4)
        let slot = streams.find(ssrc)
        if let slot {
            switch streams.rtcp(slot).pointee.check(UInt64(index)) {
            case .fresh: break
            case .replayed: throw .replayed
            case .tooOld: throw .replayTooOld
            }
        }
        try Self.check(rtcp.transformRTCP(.inbound, packet, payloadEnd: payloadEnd, ssrc: ssrc, index: index,
                                          encrypted: encrypted, trailer: end + rtcpLayout.index, tag: end + rtcpLayout.tag))
        // Checked once authentic, so a forged flag counts as a forgery, not as a peer's mistake.
        guard encrypted != unencryptedSRTCP else { throw .encryptionFlagMismatch(encrypted: encrypted) }
        let stream = slot ?? streams.insert(ssrc)
        streams.rtcp(stream).pointee.accept(UInt64(index))
        rtcpPacketsLeft -= 1
        return payloadEnd
    }

    // MARK: Rollover counter

    /// The rollover counter (RFC 3711 §3.3.1) of the stream with `ssrc`; nil before its first
    /// RTP packet.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        guard let slot = streams.slot(of: ssrc), !streams.rtp(slot).pointee.isEmpty else { return nil }
        return UInt32(truncatingIfNeeded: streams.rtp(slot).pointee.highest >> 16)
    }

    /// Sets the rollover counter of a stream already seen, for a peer that signals it; the
    /// stream's replay window starts over.
    public func setRolloverCounter(_ rolloverCounter: UInt32, ssrc: UInt32) throws(SRTPSetupError) {
        guard let slot = streams.slot(of: ssrc), !streams.rtp(slot).pointee.isEmpty else { throw .noSuchStream(ssrc: ssrc) }
        let current = UInt32(truncatingIfNeeded: streams.rtp(slot).pointee.highest >> 16)
        guard rolloverCounter >= current else {
            throw .rolloverCounterBackwards(ssrc: ssrc, current: current, requested: rolloverCounter)
        }
        streams.rtp(slot).pointee.setRolloverCounter(rolloverCounter)
    }

    // MARK: Positions across a restart

    /// How far a stream's indices may have moved past a stored position before the position
    /// stops being useful, as the granularity of ``progressMark``: a stream is reported again
    /// after this many SRTP packets (2^12, about 80 s of 20 ms audio) or 2^4 SRTCP packets.
    /// RFC 3711's index estimate is right while the true sequence number is within 2^15 of the
    /// stored one, which leaves room for the packets of the restart itself.
    static let rtpMarkShift: UInt64 = 12
    static let rtcpMarkShift: UInt64 = 4

    /// Added to a stored outbound SRTCP index on ``resume(ssrc:rtpIndex:rtcpIndex:)``: the SRTCP
    /// index is the SBC's own counter, so packets protected after the last report would be sent
    /// again under indices the peer has seen (and refuses as replays). 1,024 covers the 2^4 of
    /// the report granularity and hours of RTCP sent during the gap.
    public static let outboundRTCPResumeMargin: UInt32 = 1_024

    /// A number that grows when any stream of this context moves on by the granularity above
    /// (or a stream appears): the relay reports the positions again only when it changed.
    public var progressMark: UInt64 {
        var mark: UInt64 = 0
        for slot in 0..<Int(streams.count) {
            mark &+= 1 &+ streams.rtp(slot).pointee.highest >> Self.rtpMarkShift
                &+ streams.rtcp(slot).pointee.highest >> Self.rtcpMarkShift
        }
        return mark
    }

    /// Each stream's highest SRTP packet index (rollover counter and sequence number) and
    /// highest SRTCP index; nil where none was seen. Allocates: for reports, not the packet path.
    public func streamPositions() -> [(ssrc: UInt32, rtpIndex: UInt64?, rtcpIndex: UInt32?)] {
        (0..<Int(streams.count)).map { slot in
            let rtp = streams.rtp(slot).pointee
            let rtcp = streams.rtcp(slot).pointee
            return (streams.ssrc(slot), rtp.isEmpty ? nil : rtp.highest,
                    rtcp.isEmpty ? nil : UInt32(truncatingIfNeeded: rtcp.highest))
        }
    }

    /// Puts back a stream as a previous process under the same key left it (docs/RESTART.md),
    /// before any packet: the rollover counter carries on, so a call past a sequence-number wrap
    /// still decrypts, and the SBC's own SRTCP index moves on past what the peer has seen.
    public func resume(ssrc: UInt32, rtpIndex: UInt64?, rtcpIndex: UInt32?) {
        let slot = streams.find(ssrc) ?? streams.insert(ssrc)
        if let rtpIndex { streams.rtp(slot).pointee.resume(at: rtpIndex & 0xFFFF_FFFF_FFFF) }
        if let rtcpIndex {
            let margin = direction == .outbound ? Self.outboundRTCPResumeMargin : 0
            streams.rtcp(slot).pointee.resume(at: UInt64(min(rtcpIndex & 0x7FFF_FFFF, 0x7FFF_FFFE - margin) + margin))
        }
    }

    // MARK: Shared steps

    /// The checks every operation starts with; returns the packet's first byte.
    @inline(__always)
    private func start(_ buffer: UnsafeMutableRawBufferPointer, length: Int, protecting: Bool,
                       tailRoom: Int) throws(SRTPPacketError) -> UnsafeMutablePointer<UInt8> {
        guard direction == (protecting ? .outbound : .inbound) else { throw .wrongDirection }
        guard let base = buffer.baseAddress, length >= 0, length <= buffer.count else { throw .invalidLength(length) }
        guard buffer.count - length >= tailRoom else {
            throw .insufficientTailRoom(available: buffer.count - length, required: tailRoom)
        }
        return base.assumingMemoryBound(to: UInt8.self)
    }

    /// The packet index for `sequence` in the stream at `slot` (a new stream's first packet:
    /// rollover counter 0), refused when that index was seen or is too old.
    @inline(__always)
    private func estimate(sequence: UInt16, slot: Int?) throws(SRTPPacketError) -> UInt64 {
        guard let slot else { return UInt64(sequence) }
        let window = streams.rtp(slot)
        guard let index = window.pointee.estimateIndex(sequence: sequence) else { throw .keyExpired }
        switch window.pointee.check(index) {
        case .fresh: return index
        case .replayed: throw .replayed
        case .tooOld: throw .replayTooOld
        }
    }

    /// An unprotect's outcome as the packet's fate.
    @inline(__always)
    private static func check(_ outcome: AESCipher.Outcome) throws(SRTPPacketError) {
        switch outcome {
        case .ok: return
        case .forged: throw .authenticationFailed
        case .failed: throw .cryptoFailure
        }
    }

    /// The MKI is not secret: a plain comparison.
    @inline(__always)
    private func checkMKI(at position: UnsafePointer<UInt8>) throws(SRTPPacketError) {
        guard mkiLength == 0 || memcmp(position, mki, mkiLength) == 0 else { throw .unknownMKI }
    }

    /// The RTP header's length (fixed part, CSRCs, extension), which must leave `trailer` bytes.
    @inline(__always)
    private static func rtpHeaderLength(_ packet: UnsafeMutablePointer<UInt8>, length: Int,
                                        trailer: Int) throws(SRTPPacketError) -> Int {
        guard length >= 12 else { throw .packetTooShort(length: length, minimum: 12 + trailer) }
        var header = 12 + 4 * Int(packet[0] & 0x0F)
        if packet[0] & 0x10 != 0 {
            guard length >= header + 4 else { throw .packetTooShort(length: length, minimum: header + 4 + trailer) }
            header += 4 + 4 * Int(read16(packet + header + 2))
        }
        guard length >= header + trailer else { throw .packetTooShort(length: length, minimum: header + trailer) }
        return header
    }

    @inline(__always)
    private static func read16(_ pointer: UnsafePointer<UInt8>) -> UInt16 {
        UInt16(pointer[0]) << 8 | UInt16(pointer[1])
    }

    @inline(__always)
    private static func read32(_ pointer: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(bigEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self))
    }

    @inline(__always)
    private static func write32(_ value: UInt32, to pointer: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value.bigEndian, as: UInt32.self)
    }
}
