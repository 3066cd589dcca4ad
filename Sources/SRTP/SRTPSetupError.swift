import CSBCOpenSSL
import SDP

/// Why an SRTP context could not be set up (off the packet path).
public enum SRTPSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// libsrtp2's `srtp_init` failed (``SRTPLibrary``; the contexts do not use libsrtp2).
    case libraryInitFailed(status: Int)
    /// The key and salt do not have the suite's length.
    case wrongKeyLength(suite: SRTPCryptoSuite, actual: Int)
    /// OpenSSL could not key a cipher or MAC (`reason`: its error queue, or what was wrong).
    case cryptoUnavailable(operation: String, reason: String)
    /// No stream with this SSRC has been seen or sent yet, so it has no rollover counter.
    case noSuchStream(ssrc: UInt32)
    /// A rollover counter below the stream's: moving back would accept replays.
    case rolloverCounterBackwards(ssrc: UInt32, current: UInt32, requested: UInt32)

    public var description: String {
        switch self {
        case .libraryInitFailed(let status):
            "srtp_init failed with status \(status) (\(SRTPLibrary.statusName(status)))"
        case .wrongKeyLength(let suite, let actual):
            "\(suite) needs \(suite.keyAndSaltLength) bytes of key and salt, got \(actual)"
        case .cryptoUnavailable(let operation, let reason):
            "SRTP setup: \(operation) failed: \(reason)"
        case .noSuchStream(let ssrc):
            "no SRTP stream with SSRC \(ssrc)"
        case .rolloverCounterBackwards(let ssrc, let current, let requested):
            "SRTP stream \(ssrc) has rollover counter \(current), refusing to go back to \(requested)"
        }
    }

    /// OpenSSL's oldest queued error as text (the queue is then emptied), for messages.
    static func openSSLReason() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
