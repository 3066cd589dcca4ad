import CSBCSRTP
#if canImport(Glibc)
import Glibc
#endif

/// libsrtp2 process-wide state.
///
/// The relay's contexts (``SRTPContext``) do not use libsrtp2; it stays linked as the project's
/// reference SRTP implementation, which the tests check every suite against, and `sbc --version`
/// reports it. Whoever calls into it goes through ``initialize()`` first.
///
/// Why a lazily initialised static: `srtp_init` must run exactly once before any libsrtp2
/// session is created and is not safe to run twice concurrently. Swift initialises a static
/// stored property once, atomically, on first access (`swift_once`), whichever thread gets there
/// first, so every caller can simply ask for it.
///
/// A second `srtp_init` in one process fails with `bad_param` (it loads its `srtp` debug module
/// again) although the library is ready. So when another caller got there first, which the
/// loaded `srtp` debug module shows, that earlier initialisation is used rather than reported
/// as a failure, also when both ran at once (then this one waits for the other to finish).
/// Nothing else in the process should call `srtp_init` directly.
public enum SRTPLibrary {
    private static let initStatus: Int = {
        let ok = Int(srtp_err_status_ok.rawValue)
        if isInitialised { return ok }
        let status = Int(srtp_init().rawValue)
        guard status != ok else { return ok }
        // Lost a race with a direct srtp_init elsewhere: give it up to 2 s to finish.
        for _ in 0..<400 {
            if isInitialised { return ok }
            usleep(5000)
        }
        return status
    }()

    /// Whether `srtp_init` completed, by anyone: its debug module is known only afterwards.
    /// Setting the module's flag to 0 changes nothing (debugging is off by default).
    private static var isInitialised: Bool { srtp_set_debug_module("srtp", 0) == srtp_err_status_ok }

    /// Runs `srtp_init` the first time; later calls only report how that went.
    public static func initialize() throws(SRTPSetupError) {
        guard initStatus == Int(srtp_err_status_ok.rawValue) else { throw .libraryInitFailed(status: initStatus) }
    }

    /// `libsrtp2 2.5.0` or the like.
    public static var version: String { String(cString: srtp_get_version_string()) }

    /// The name of an `srtp_err_status_t` number, for messages.
    static func statusName(_ status: Int) -> String {
        let names = [
            "ok", "fail", "bad_param", "alloc_fail", "dealloc_fail", "init_fail", "terminus", "auth_fail",
            "cipher_fail", "replay_fail", "replay_old", "algo_fail", "no_such_op", "no_ctx", "cant_check",
            "key_expired", "socket_err", "signal_err", "nonce_bad", "read_fail", "write_fail", "parse_err",
            "encode_err", "semaphore_err", "pfkey_err", "bad_mki", "pkt_idx_old", "pkt_idx_adv",
        ]
        return names.indices.contains(status) ? names[status] : "unknown"
    }
}
