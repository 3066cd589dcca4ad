import Testing
@testable import SBCStore

@Suite("SQL dialect: the SQLite statements and migrations as PostgreSQL runs them")
struct SQLDialectTests {
    @Test("parameters, column types and INSERT OR IGNORE are rewritten; the rest is left alone")
    func rewrites() {
        #expect(SQLDialect.postgres("SELECT a FROM t WHERE b = ?1 AND c > ?12") == "SELECT a FROM t WHERE b = $1 AND c > $12")
        #expect(SQLDialect.postgres("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, at REAL, b BLOB)")
                == "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, n BIGINT NOT NULL, at DOUBLE PRECISION, b BYTEA)")
        #expect(SQLDialect.postgres("INSERT OR IGNORE INTO k (a, b) VALUES (?1, ?2)")
                == "INSERT INTO k (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        // Names that merely contain a type word stay as they are.
        #expect(SQLDialect.postgres("SELECT realm, integer_count FROM blobs") == "SELECT realm, integer_count FROM blobs")
        #expect(SQLDialect.postgres(OperationalSchema.upsertGroup).contains("ON CONFLICT (group_name) DO UPDATE SET"))
    }

    @Test("every migration splits into single statements with no SQLite-only words left")
    func migrations() {
        var statements = 0
        for migration in StateSchema.migrations {
            for statement in SQLDialect.statements(migration) {
                statements += 1
                let text = SQLDialect.postgres(statement)
                #expect(!text.contains(";"))
                #expect(!text.contains("--"))
                for word in [" REAL", " BLOB", " INTEGER", "?1", "OR IGNORE"] {
                    #expect(!text.contains(word), "\(word) left in: \(text)")
                }
            }
        }
        #expect(statements >= 20)
        #expect(SQLDialect.statements(StateSchema.migrations[8]).first?.hasPrefix("CREATE TABLE established_calls") == true)
    }

    @Test("a single-row INSERT becomes a multi-row one, with leading columns and parameters numbered on")
    func multiRow() {
        #expect(SQLDialect.multiRowInsert("INSERT INTO t (a, b) VALUES (?1, ?2)", rows: 2)
                == "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)")
        let calls = SQLDialect.multiRowInsert(CallRecordSchema.insertCall, rows: 3, leading: ["id"])
        #expect(calls.hasPrefix("INSERT INTO calls (id, call_id, leg_b_call_id,"))
        #expect(calls.hasSuffix("($35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47, $48, $49, $50, $51)"))
        // The rows' parameters, bound one row after another, land where the placeholders are.
        let parameters = PostgresParameters()
        for row in 0..<3 {
            let base = Int32(row * 17)
            parameters.bind(Int64(row), at: base + 1)
            CallRecordSchema.bindCall(StoreFixtures.sampleRecord(row), node: "n", to: parameters, after: base + 1)
        }
        #expect(parameters.bindings.count == 51)
    }

    @Test("statements bind the same parameters on both back ends, in order")
    func parametersInOrder() {
        let parameters = PostgresParameters()
        CallRecordSchema.bindCall(StoreFixtures.sampleRecord(3), node: "node1", to: parameters)
        #expect(parameters.bindings.count == 16)
        let attempt = PostgresParameters()
        CallRecordSchema.bindAttempt(StoreFixtures.sampleRecord(3).attempts[0], number: 1, call: 7, to: attempt)
        #expect(attempt.bindings.count == 10)
    }
}
