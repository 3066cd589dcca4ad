// SQLite for Swift. SQLITE_TRANSIENT is `((sqlite3_destructor_type)-1)`, a cast Swift cannot
// import; binding text/blobs that Swift may free right after the call needs it.
#ifndef CSBC_SQLITE_SHIM_H
#define CSBC_SQLITE_SHIM_H

#include <sqlite3.h>

/// Tells sqlite3_bind_* to copy the bytes before returning.
static inline sqlite3_destructor_type csbc_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/// Tells sqlite3_bind_* the bytes outlive the statement (no copy).
static inline sqlite3_destructor_type csbc_sqlite_static(void) { return SQLITE_STATIC; }

static inline const char *csbc_sqlite_version(void) { return sqlite3_libversion(); }

#endif
