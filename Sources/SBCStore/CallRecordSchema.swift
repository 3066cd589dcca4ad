/// The statements the CDR writer and reader share.
///
/// The CDR tables themselves are migration 1 of `StateSchema`; docs/CDR.md documents the columns.
enum CallRecordSchema {
    /// The state database's migrations (CDRs are migration 1). Kept under this name for the
    /// code and tests written when the file held CDRs only; `StateSchema` owns the list.
    static var migrations: [String] { StateSchema.migrations }

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
