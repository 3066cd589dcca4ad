import CSBCSRTP
import SDP

/// Which way an ``SRTPContext`` processes packets.
public enum SRTPDirection: Sendable, Hashable {
    /// Unprotects what a peer sends, keyed with the peer's key (any SSRC it uses).
    case inbound
    /// Protects what the SBC sends a peer, keyed with the SBC's key (any SSRC it relays).
    case outbound
}

/// One libsrtp2 session for one direction of one leg: RTP and RTCP under one master key.
///
/// Built off the packet path (Debian's NSS-backed `srtp_create` costs about 0.85 ms), then
/// handed to the media worker that owns the leg; the worker calls ``protectRTP(_:length:)``
/// and friends in place on its receive buffers, with no allocation and no lock. Keeping the
/// context keeps each stream's rollover counter and replay window: a re-INVITE that keeps the
/// keys must keep the context, one that changes them swaps in a new one.
///
/// Why a final class: the relay stores contexts in its leg tables and swaps them whole; a
/// reference is one word and `deinit` frees the libsrtp2 session exactly once.
/// `@unchecked Sendable` because it is transferred once (creator to worker) and then used by
/// that one thread only; it must never be used from two threads at a time.
///
/// libsrtp2 streams are created per SSRC from the session's template (`ssrc_any_inbound`/
/// `ssrc_any_outbound`): the first packet of a new SSRC allocates its stream, on inbound only
/// after that packet authenticated, so a forger cannot make the context grow.
public final class SRTPContext: @unchecked Sendable {
    public let suite: SRTPCryptoSuite
    public let direction: SRTPDirection
    /// Whether packets carry an MKI (the key was given one).
    public let usesMKI: Bool
    /// Whether SRTCP is sent authenticated but unencrypted (`UNENCRYPTED_SRTCP`).
    public let unencryptedSRTCP: Bool

    /// Bytes a buffer needs past an RTP packet for ``protectRTP(_:length:)``: libsrtp2's
    /// `SRTP_MAX_TRAILER_LEN` (16-byte tag + 128-byte MKI), which it may write whatever the
    /// suite.
    public static let rtpTailRoom = 144
    /// The same for ``protectRTCP(_:length:)``: the trailer plus the 4-byte SRTCP index.
    public static let rtcpTailRoom = 148

    private let session: srtp_t
    /// Packets the key may still protect or authenticate (the `a=crypto` lifetime), counted
    /// apart for SRTP and SRTCP as RFC 4568 §6.1 asks. Unchecked exclusivity: only the owning
    /// worker touches them, and the dynamic check would cost more than the count.
    @exclusivity(unchecked) private var rtpPacketsLeft: UInt64
    @exclusivity(unchecked) private var rtcpPacketsLeft: UInt64

    /// Largest replay window libsrtp2 accepts (its limit is below 0x8000).
    public static let maximumReplayWindow = 0x7FFF

    /// A context for `suite` keyed with `key` (master key || salt, optional lifetime and MKI).
    ///
    /// - Parameters:
    ///   - unencryptedSRTCP: SRTCP authenticated only (the E bit clear), as negotiated.
    ///   - replayWindow: the inbound replay window in packets; nil for libsrtp2's 128. A peer's
    ///     `WSH` is a hint: values are clamped to 64...32767.
    public init(suite: SRTPCryptoSuite, key: SDPCryptoKeyParameter, direction: SRTPDirection,
                unencryptedSRTCP: Bool = false, replayWindow: Int? = nil) throws(SRTPSetupError)
    {
        try SRTPLibrary.initialize()
        assert(Int(csbc_srtp_max_trailer_len()) == Self.rtpTailRoom)
        guard key.keyAndSalt.count == suite.keyAndSaltLength else {
            throw .wrongKeyLength(suite: suite, actual: key.keyAndSalt.count)
        }
        self.suite = suite
        self.direction = direction
        self.usesMKI = key.mki != nil
        self.unencryptedSRTCP = unencryptedSRTCP
        let lifetime = key.lifetime?.packetCount ?? .max
        rtpPacketsLeft = lifetime
        rtcpPacketsLeft = lifetime

        var policy = srtp_policy_t()
        Self.setCryptoPolicies(&policy, suite: suite)
        if unencryptedSRTCP { policy.rtcp.sec_serv = sec_serv_auth }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = replayWindow.map { UInt(min(max($0, 64), Self.maximumReplayWindow)) } ?? 0
        policy.allow_repeat_tx = 0
        session = try Self.create(&policy, key: key, suite: suite)
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

    deinit {
        srtp_dealloc(session)
    }

    // MARK: Packets

    /// Protects the RTP packet in `buffer[0..<length]` in place and returns the SRTP length.
    /// `buffer` must be 4-byte aligned with ``rtpTailRoom`` bytes free after `length`.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        try process(.protectRTP, buffer, length: length)
    }

    /// Authenticates, replay-checks and decrypts the SRTP packet in `buffer[0..<length]` in
    /// place and returns the RTP length. After a failure the buffer's bytes are undefined (GCM
    /// decrypts before it knows the tag is wrong): drop the packet, never relay it.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        try process(.unprotectRTP, buffer, length: length)
    }

    /// Protects the (compound) RTCP packet in place; ``rtcpTailRoom`` bytes must be free.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        try process(.protectRTCP, buffer, length: length)
    }

    /// Authenticates, replay-checks and (unless the E bit is clear) decrypts an SRTCP packet;
    /// as for RTP, a failed packet's bytes are undefined.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPPacketError) -> Int {
        try process(.unprotectRTCP, buffer, length: length)
    }

    private enum Operation {
        case protectRTP, unprotectRTP, protectRTCP, unprotectRTCP
    }

    /// The checks every operation shares, then the libsrtp2 call. No allocation: the errors
    /// are payload-light enums and the length goes through a stack variable.
    @inline(__always)
    private func process(_ operation: Operation, _ buffer: UnsafeMutableRawBufferPointer,
                         length: Int) throws(SRTPPacketError) -> Int
    {
        let rtcp = operation == .protectRTCP || operation == .unprotectRTCP
        let protecting = operation == .protectRTP || operation == .protectRTCP
        guard direction == (protecting ? .outbound : .inbound) else { throw .wrongDirection }
        guard let base = buffer.baseAddress, length >= 0, length <= buffer.count else { throw .invalidLength(length) }
        guard UInt(bitPattern: base) & 3 == 0 else { throw .misalignedBuffer }
        let tailRoom = protecting ? (rtcp ? Self.rtcpTailRoom : Self.rtpTailRoom) : 0
        guard buffer.count - length >= tailRoom else {
            throw .insufficientTailRoom(available: buffer.count - length, required: tailRoom)
        }
        guard (rtcp ? rtcpPacketsLeft : rtpPacketsLeft) > 0 else { throw .keyExpired }
        var newLength = Int32(length)
        let mki: UInt32 = usesMKI ? 1 : 0
        let status = switch operation {
        case .protectRTP: srtp_protect_mki(session, base, &newLength, mki, 0)
        case .unprotectRTP: srtp_unprotect_mki(session, base, &newLength, mki)
        case .protectRTCP: srtp_protect_rtcp_mki(session, base, &newLength, mki, 0)
        case .unprotectRTCP: srtp_unprotect_rtcp_mki(session, base, &newLength, mki)
        }
        guard status == srtp_err_status_ok else { throw SRTPPacketError(status: Int(status.rawValue)) }
        if rtcp { rtcpPacketsLeft -= 1 } else { rtpPacketsLeft -= 1 }
        return Int(newLength)
    }

    // MARK: Rollover counter

    /// The rollover counter (RFC 3711 §3.3.1) of the stream with `ssrc`; nil before its first
    /// packet.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        var roc: UInt32 = 0
        return srtp_get_stream_roc(session, ssrc, &roc) == srtp_err_status_ok ? roc : nil
    }

    /// Sets the rollover counter of a stream already seen, for a peer that signals it.
    public func setRolloverCounter(_ roc: UInt32, ssrc: UInt32) throws(SRTPSetupError) {
        guard srtp_set_stream_roc(session, ssrc, roc) == srtp_err_status_ok else { throw .noSuchStream(ssrc: ssrc) }
    }

    // MARK: Setup

    /// SRTP and SRTCP policies of `suite`. The `_32` suites shorten only the SRTP tag; SRTCP
    /// keeps HMAC-SHA1-80 (RFC 4568 §6.2).
    private static func setCryptoPolicies(_ policy: inout srtp_policy_t, suite: SRTPCryptoSuite) {
        switch suite {
        case .aesCM128HMACSHA1_80:
            csbc_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtp)
            csbc_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        case .aesCM128HMACSHA1_32:
            csbc_srtp_policy_aes_cm_128_hmac_sha1_32(&policy.rtp)
            csbc_srtp_policy_aes_cm_128_hmac_sha1_80(&policy.rtcp)
        case .aes256CMHMACSHA1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtp)
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtcp)
        case .aes256CMHMACSHA1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&policy.rtp)
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy.rtcp)
        case .aeadAES128GCM:
            csbc_srtp_policy_aes_gcm_128_16_auth(&policy.rtp)
            csbc_srtp_policy_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAES256GCM:
            csbc_srtp_policy_aes_gcm_256_16_auth(&policy.rtp)
            csbc_srtp_policy_aes_gcm_256_16_auth(&policy.rtcp)
        }
    }

    /// `srtp_create` with the key (and MKI) in buffers that live for the call only: libsrtp2
    /// derives its session keys from them and keeps its own copies. The key buffer is padded to
    /// libsrtp2's largest key and wiped afterwards.
    private static func create(_ policy: inout srtp_policy_t, key: SDPCryptoKeyParameter,
                               suite: SRTPCryptoSuite) throws(SRTPSetupError) -> srtp_t
    {
        var keyBuffer = [UInt8](repeating: 0, count: 64)
        keyBuffer.replaceSubrange(0..<key.keyAndSalt.count, with: key.keyAndSalt)
        var mkiBuffer = key.mki?.bytes ?? []
        defer {
            for index in keyBuffer.indices { keyBuffer[index] = 0 }
        }
        var session: srtp_t?
        let status = keyBuffer.withUnsafeMutableBufferPointer { keyBytes in
            mkiBuffer.withUnsafeMutableBufferPointer { mkiBytes in
                guard key.mki != nil else {
                    policy.key = keyBytes.baseAddress
                    defer { policy.key = nil }
                    return srtp_create(&session, &policy)
                }
                var masterKey = srtp_master_key_t(key: keyBytes.baseAddress, mki_id: mkiBytes.baseAddress,
                                                  mki_size: UInt32(mkiBytes.count))
                return withUnsafeMutablePointer(to: &masterKey) { masterKeyPointer in
                    var keys: [UnsafeMutablePointer<srtp_master_key_t>?] = [masterKeyPointer]
                    return keys.withUnsafeMutableBufferPointer { keyList in
                        policy.key = nil
                        policy.keys = keyList.baseAddress
                        policy.num_master_keys = 1
                        defer { policy.keys = nil }
                        return srtp_create(&session, &policy)
                    }
                }
            }
        }
        guard status == srtp_err_status_ok, let session else {
            throw .creationFailed(suite: suite, status: Int(status.rawValue))
        }
        return session
    }
}
