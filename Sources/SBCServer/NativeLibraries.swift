import CSBCOpenSSL
import CSBCSQLite
import CSBCSRTP

/// Versions of the C libraries linked into the binary. Printing them from `sbc --version` proves
/// at start-up that OpenSSL, libsrtp2 and SQLite are really linked, not just declared.
public enum NativeLibraries {
    public static var openSSL: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
    public static var srtp: String { String(cString: srtp_get_version_string()) }
    public static var sqlite: String { String(cString: sqlite3_libversion()) }

    public static var summary: String { "\(openSSL); \(srtp); SQLite \(sqlite)" }
}
