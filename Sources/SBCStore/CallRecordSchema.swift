/// The CDR schema as migrations and the statements the writer and reader share.
///
/// Migrations are append-only: a released entry is never edited, a change is a new entry, and
/// `SQLiteDatabase.migrate` applies what a file lacks. docs/CDR.md documents the columns.
enum CallRecordSchema {
    static let migrations: [String] = [
        // 1: calls and their attempts.
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            leg_b_call_id TEXT,
            from_uri TEXT,
            to_uri TEXT,
            ingress_trunk TEXT,
            route TEXT,
            started_at REAL NOT NULL,
            answered_at REAL,
            ended_at REAL NOT NULL,
            duration_s REAL,
            disposition TEXT NOT NULL,
            final_status INTEGER,
            final_trunk TEXT,
            ended_by TEXT
        );
        CREATE INDEX calls_call_id ON calls(call_id);
        CREATE INDEX calls_started_at ON calls(started_at);
        CREATE TABLE call_attempts (
            id INTEGER PRIMARY KEY,
            call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            trunk TEXT NOT NULL,
            started_at REAL NOT NULL,
            response_code INTEGER,
            reason TEXT,
            response_time_ms REAL,
            outcome TEXT NOT NULL
        );
        CREATE INDEX call_attempts_trunk_started_at ON call_attempts(trunk, started_at);
        -- The child key of the foreign key: without it, reading a call's attempts and every
        -- ON DELETE CASCADE (retention purges) scan the whole table.
        CREATE INDEX call_attempts_call_id ON call_attempts(call_id, attempt);
        """,
    ]

    static let insertCall = """
        INSERT INTO calls (call_id, leg_b_call_id, from_uri, to_uri, ingress_trunk, route, started_at,
                           answered_at, ended_at, duration_s, disposition, final_status, final_trunk, ended_by)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        """

    static let insertAttempt = """
        INSERT INTO call_attempts (call_id, attempt, trunk, started_at, response_code, reason,
                                   response_time_ms, outcome)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    /// Columns 0...13, in the order `CallRecordQuery` reads them.
    static let selectCalls = """
        SELECT id, call_id, leg_b_call_id, from_uri, to_uri, ingress_trunk, route, started_at,
               answered_at, ended_at, disposition, final_status, final_trunk, ended_by
        FROM calls
        """

    static let selectAttempts = """
        SELECT trunk, started_at, response_code, reason, response_time_ms, outcome
        FROM call_attempts WHERE call_id = ?1 ORDER BY attempt
        """
}
