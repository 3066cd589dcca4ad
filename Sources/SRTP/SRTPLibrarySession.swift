import CSBCSRTP
import SDP

/// A libsrtp2 session with the same shape as ``SRTPContext``: the reference implementation the
/// SBC's own SRTP is checked against (unit tests, relay tests' parties, `srtp-bench`), never
/// used on the relay's packet path.
///
/// Why keep it in the module rather than in each test target: the SRTP, relay and benchmark
/// targets all need the same independent peer, and libsrtp2's policy setup (template SSRCs,
/// MKI key lists, the `_32` suites' SRTCP tag) is easy to get subtly wrong twice.
///
/// Debian's libsrtp2 runs on NSS: creating a session costs up to 0.85 ms, and AES-CM packets
/// cost microseconds each. Same thread rules as ``SRTPContext``.
public final class SRTPLibrarySession: @unchecked Sendable {
    public let suite: SRTPCryptoSuite
    public let direction: SRTPDirection
    private let session: srtp_t
    private let usesMKI: Bool

    /// A libsrtp2 session for `suite` keyed with `key`, taking any SSRC (`ssrc_any_inbound` or
    /// `ssrc_any_outbound`); `replayWindow` nil for libsrtp2's 128.
    public init(suite: SRTPCryptoSuite, key: SDPCryptoKeyParameter, direction: SRTPDirection,
                unencryptedSRTCP: Bool = false, replayWindow: Int? = nil) throws(SRTPLibraryError)
    {
        do throws(SRTPSetupError) {
            try SRTPLibrary.initialize()
        } catch {
            guard case .libraryInitFailed(let status) = error else { throw SRTPLibraryError(status: 1) }
            throw SRTPLibraryError(status: status)
        }
        self.suite = suite
        self.direction = direction
        usesMKI = key.mki != nil
        var policy = srtp_policy_t()
        Self.setCryptoPolicies(&policy, suite: suite)
        if unencryptedSRTCP { policy.rtcp.sec_serv = sec_serv_auth }
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(replayWindow ?? 0)
        policy.allow_repeat_tx = 0
        session = try Self.create(&policy, key: key)
    }

    deinit {
        srtp_dealloc(session)
    }

    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPLibraryError) -> Int {
        try call(buffer, length) { srtp_protect_mki(session, $0, $1, $2, 0) }
    }

    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPLibraryError) -> Int {
        try call(buffer, length) { srtp_unprotect_mki(session, $0, $1, $2) }
    }

    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPLibraryError) -> Int {
        try call(buffer, length) { srtp_protect_rtcp_mki(session, $0, $1, $2, 0) }
    }

    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPLibraryError) -> Int {
        try call(buffer, length) { srtp_unprotect_rtcp_mki(session, $0, $1, $2) }
    }

    /// The rollover counter of the stream with `ssrc`; nil before its first packet.
    public func rolloverCounter(ssrc: UInt32) -> UInt32? {
        var roc: UInt32 = 0
        return srtp_get_stream_roc(session, ssrc, &roc) == srtp_err_status_ok ? roc : nil
    }

    /// libsrtp2 needs 4-byte alignment and up to `SRTP_MAX_TRAILER_LEN` bytes after the packet
    /// (the caller's buffer; not checked here beyond the length).
    private func call(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int,
                      _ body: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>, UInt32) -> srtp_err_status_t)
        throws(SRTPLibraryError) -> Int
    {
        guard let base = buffer.baseAddress, length >= 0, length <= buffer.count else {
            throw SRTPLibraryError(status: Int(srtp_err_status_bad_param.rawValue))
        }
        var newLength = Int32(length)
        let status = body(base, &newLength, usesMKI ? 1 : 0)
        guard status == srtp_err_status_ok else { throw SRTPLibraryError(status: Int(status.rawValue)) }
        return Int(newLength)
    }

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
    private static func create(_ policy: inout srtp_policy_t, key: SDPCryptoKeyParameter) throws(SRTPLibraryError) -> srtp_t {
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
        guard status == srtp_err_status_ok, let session else { throw SRTPLibraryError(status: Int(status.rawValue)) }
        return session
    }
}
