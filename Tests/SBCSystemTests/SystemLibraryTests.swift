import Testing
import CSBCOpenSSL
import CSBCSRTP
import CSBCSQLite
import SRTP

/// Proves the system-library modules link and their shim wrappers work.
@Suite("System libraries")
struct SystemLibraryTests {
    @Test("OpenSSL version string")
    func openssl() {
        let version = String(cString: csbc_openssl_version())
        #expect(version.hasPrefix("OpenSSL"))
        let ctx = SSL_CTX_new(TLS_method())
        #expect(ctx != nil)
        let mode = csbc_SSL_CTX_set_mode(ctx, csbc_SSL_MODE_ENABLE_PARTIAL_WRITE())
        #expect(mode & csbc_SSL_MODE_ENABLE_PARTIAL_WRITE() != 0)
        SSL_CTX_free(ctx)
    }

    @Test("libsrtp2 initialises")
    func srtp() throws {
        // Through the process's one initialiser: a second srtp_init fails with bad_param, and
        // the SRTP tests in the same process initialise it too.
        try SRTPLibrary.initialize()
        #expect(!String(cString: csbc_srtp_version_string()).isEmpty)
        #expect(csbc_srtp_max_trailer_len() >= 16)
        var policy = srtp_crypto_policy_t()
        csbc_srtp_policy_aes_gcm_128_16_auth(&policy)
        #expect(policy.auth_tag_len == 16)
    }

    @Test("SQLite in-memory database runs a query")
    func sqlite() {
        var db: OpaquePointer?
        #expect(sqlite3_open(":memory:", &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        #expect(sqlite3_exec(db, "select 1", nil, nil, nil) == SQLITE_OK)
        var stmt: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "select ?", -1, &stmt, nil) == SQLITE_OK)
        #expect(sqlite3_bind_text(stmt, 1, "carrier-a", -1, csbc_sqlite_transient()) == SQLITE_OK)
        #expect(sqlite3_step(stmt) == SQLITE_ROW)
        #expect(String(cString: sqlite3_column_text(stmt, 0)) == "carrier-a")
        sqlite3_finalize(stmt)
        #expect(String(cString: csbc_sqlite_version()).hasPrefix("3."))
    }
}
