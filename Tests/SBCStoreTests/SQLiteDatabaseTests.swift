import CSBCSQLite
import Foundation
import Testing
@testable import SBCStore

/// The thin SQLite wrapper against real files: pragmas, migrations, typed errors, binds.
@Suite struct SQLiteDatabaseTests {
    @Test func migrationsAreIdempotentAcrossOpens() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let path = dir + "/nested/deeper/cdr.sqlite"  // directories created on demand

        let first = try SQLiteDatabase(path: path)
        #expect(try first.migrate(CallRecordSchema.migrations) == 0)
        #expect(try first.userVersion == CallRecordSchema.migrations.count)
        first.close()

        let second = try SQLiteDatabase(path: path)
        #expect(try second.migrate(CallRecordSchema.migrations) == CallRecordSchema.migrations.count)
        #expect(try second.userVersion == CallRecordSchema.migrations.count)
        // The schema exists once: indexes were not recreated (that would have thrown).
        let count = try second.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'call%'")
        #expect(try count.step())
        #expect(count.int(at: 0) == 5)  // calls x2, call_attempts x2, call_media x1

        // A CallRecordStore on the same file also opens cleanly.
        let store = try CallRecordStore(path: path, logger: StoreFixtures.logger)
        store.close()
    }

    @Test func writerConnectionIsWALWithNormalSync() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let db = try SQLiteDatabase(path: dir + "/wal.sqlite")
        #expect(try db.journalMode == "wal")
        #expect(try db.pragma("synchronous") == "1")  // NORMAL
        #expect(try db.pragma("foreign_keys") == "1")
        // WAL is persistent: a reader opening later sees it too.
        let reader = try SQLiteDatabase(path: dir + "/wal.sqlite", mode: .readOnly)
        #expect(try reader.journalMode == "wal")
    }

    @Test func newerSchemaIsRefused() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let db = try SQLiteDatabase(path: dir + "/future.sqlite")
        try db.migrate(CallRecordSchema.migrations + ["CREATE TABLE later (x)"])
        do throws(SQLiteError) {
            try db.migrate(CallRecordSchema.migrations)
            Issue.record("an older migration list must not accept a newer file")
        } catch {
            #expect(error.message.contains("newer"))
            #expect(error.context?.contains("future.sqlite") == true)
        }
    }

    @Test func failingMigrationRollsBackAndNamesItself() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        let db = try SQLiteDatabase(path: dir + "/broken.sqlite")
        do throws(SQLiteError) {
            try db.migrate(["CREATE TABLE a (x)", "CREATE TABLE b (x"])
            Issue.record("a syntax error must throw")
        } catch {
            #expect(error.primaryCode == SQLITE_ERROR)
            #expect(error.context?.contains("migration 2") == true)
            #expect(error.sql == "CREATE TABLE b (x")
        }
        // All or nothing: migration 1 was rolled back with it.
        #expect(try db.userVersion == 0)
        let tables = try db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'a'")
        #expect(try tables.step())
        #expect(tables.int(at: 0) == 0)
    }

    @Test func badPathGivesTypedErrorWithContext() throws {
        let dir = StoreFixtures.temporaryDirectory()
        defer { StoreFixtures.remove(dir) }
        // A regular file where a directory should be: fails even when running as root.
        let blocker = dir + "/not-a-directory"
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        let path = blocker + "/state/cdr.sqlite"

        do throws(SQLiteError) {
            _ = try CallRecordStore(path: path, logger: StoreFixtures.logger)
            Issue.record("opening under a regular file must fail")
        } catch {
            #expect(error.primaryCode == SQLITE_CANTOPEN)
            #expect(error.context?.contains(path) == true)
            #expect(error.description.contains("not-a-directory"))
        }

        // Read side: a missing file is CANTOPEN too, naming the path.
        do throws(SQLiteError) {
            _ = try CallRecordQuery.recent(path: dir + "/missing.sqlite")
            Issue.record("a missing database must fail")
        } catch {
            #expect(error.primaryCode == SQLITE_CANTOPEN)
            #expect(error.context?.contains("missing.sqlite") == true)
        }
    }

    @Test func bindsRoundTripIncludingEmptyNulAndNull() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT)")
        let insert = try db.prepare("INSERT INTO t VALUES (?1, ?2, ?3)")
        try insert.run([.integer(Int64.max), .real(-0.5), .text("")])
        try insert.run([.null, .null, .null])
        try insert.run([.integer(-1), .real(1e300), .text("a\u{0}b 'q' \"dq\" 🚀")])
        let select = try db.prepare("SELECT i, r, s, typeof(s) FROM t ORDER BY rowid")
        #expect(try select.step())
        #expect(select.int64(at: 0) == Int64.max)
        #expect(select.double(at: 1) == -0.5)
        #expect(select.optionalString(at: 2) == "")  // empty text stays text, not NULL
        #expect(select.string(at: 3) == "text")
        #expect(try select.step())
        #expect(select.optionalInt(at: 0) == nil)
        #expect(select.optionalDouble(at: 1) == nil)
        #expect(select.optionalString(at: 2) == nil)
        #expect(try select.step())
        #expect(select.string(at: 2) == "a\u{0}b 'q' \"dq\" 🚀")
        #expect(try select.step() == false)
    }

    @Test func transactionRollsBackOnError() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (x INTEGER NOT NULL)")
        do throws(SQLiteError) {
            try db.transaction { () throws(SQLiteError) in
                try db.execute("INSERT INTO t VALUES (1)")
                try db.execute("INSERT INTO t VALUES (NULL)")
            }
            Issue.record("NOT NULL must fail")
        } catch {
            #expect(error.primaryCode == SQLITE_CONSTRAINT)
            #expect(error.code == SQLITE_CONSTRAINT | (5 << 8))  // SQLITE_CONSTRAINT_NOTNULL: a macro Swift cannot import
        }
        let count = try db.prepare("SELECT count(*) FROM t")
        #expect(try count.step())
        #expect(count.int(at: 0) == 0)
    }
}
