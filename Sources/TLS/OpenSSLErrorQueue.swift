import CSBCOpenSSL

/// OpenSSL's per-thread error queue. One loop thread drives many sessions, so every operation
/// clears the queue before it starts and drains it after a failure: a reason left behind by one
/// connection must never be reported for another.
enum OpenSSLErrorQueue {
    /// One queued error: its packed code and OpenSSL's reason text.
    struct Entry {
        var code: UInt
        var reason: String

        /// `SSL_R_*` / `X509_R_*` reason number.
        var reasonCode: Int32 { ERR_GET_REASON(code) }

        /// The alert the peer sent, when this error records a received fatal alert (OpenSSL
        /// pushes `SSL_AD_REASON_OFFSET + description` for those).
        var receivedAlert: Int32? {
            let reason = reasonCode
            guard ERR_GET_LIB(code) == ERR_LIB_SSL, reason >= SSL_AD_REASON_OFFSET, reason < SSL_AD_REASON_OFFSET + 256
            else { return nil }
            return reason - SSL_AD_REASON_OFFSET
        }
    }

    static func clear() { ERR_clear_error() }

    /// Takes every queued error, oldest first.
    static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            entries.append(Entry(code: code, reason: reasonText(code)))
        }
        return entries
    }

    /// The queued errors as one line ("; " between reasons), or `fallback` when the queue is empty.
    static func drainedText(fallback: String) -> String {
        let entries = drain()
        return entries.isEmpty ? fallback : entries.map(\.reason).joined(separator: "; ")
    }

    private static func reasonText(_ code: UInt) -> String {
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ERR_error_string_n(code, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)  // ERR_error_string_n always terminates
        }
    }
}
