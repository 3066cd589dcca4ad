import CSBCSRTP

/// A libsrtp2 status other than `ok`, from an ``SRTPLibrarySession``.
public struct SRTPLibraryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `srtp_err_status_t` number.
    public let status: Int

    public init(status: Int) {
        self.status = status
    }

    public static let authenticationFailed = Self(status: Int(srtp_err_status_auth_fail.rawValue))
    public static let replayed = Self(status: Int(srtp_err_status_replay_fail.rawValue))
    public static let replayTooOld = Self(status: Int(srtp_err_status_replay_old.rawValue))

    public var description: String { "libsrtp2 status \(status) (\(SRTPLibrary.statusName(status)))" }
}
