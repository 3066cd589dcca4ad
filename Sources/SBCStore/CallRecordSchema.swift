/// The statements the CDR writer and reader share.
///
/// The CDR tables themselves are migrations 1 (calls, attempts) and 3 (media legs) of
/// `StateSchema`; docs/CDR.md documents the columns.
enum CallRecordSchema {
    /// The state database's migrations (CDRs are migrations 1 and 3). Kept under this name for the
    /// code and tests written when the file held CDRs only; `StateSchema` owns the list.
    static var migrations: [String] { StateSchema.migrations }

    static let insertCall = """
        INSERT INTO calls (call_id, leg_b_call_id, from_uri, to_uri, ingress_trunk, route, started_at,
                           answered_at, ended_at, duration_s, disposition, final_status, final_trunk, ended_by,
                           recovered, node)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
        """

    static let insertAttempt = """
        INSERT INTO call_attempts (call_id, attempt, trunk, started_at, response_code, reason,
                                   response_time_ms, outcome, ended_at, overflow)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        """

    static let insertMedia = """
        INSERT INTO call_media (call_id, side, trunk, packets_received, bytes_received, packets_forwarded,
                                packets_dropped, rtcp_packets, packets_lost, jitter_ms, latched_source,
                                srtp_auth_failures, srtp_replays, srtp_errors)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        """

    /// Columns 0...13, in the order `CallRecordQuery` reads them.
    static let selectCalls = selectCalls(withRecovered: true)

    /// Columns 0...14; a file from before migration 9 (read-only readers do not migrate) reads
    /// 0 for `recovered`.
    static func selectCalls(withRecovered: Bool) -> String {
        """
        SELECT id, call_id, leg_b_call_id, from_uri, to_uri, ingress_trunk, route, started_at,
               answered_at, ended_at, disposition, final_status, final_trunk, ended_by, \(withRecovered ? "recovered" : "0")
        FROM calls
        """
    }

    static let callRecoveredExists = "SELECT 1 FROM pragma_table_info('calls') WHERE name = 'recovered'"

    /// Columns 0...6; a file from before migration 4 (read-only readers do not migrate) reads
    /// NULL for `ended_at`.
    /// Column 7 is `overflow` (0 in a file from before the activation migration).
    static func selectAttempts(withEnd: Bool, withOverflow: Bool = false) -> String {
        """
        SELECT trunk, started_at, response_code, reason, response_time_ms, outcome, \(withEnd ? "ended_at" : "NULL"),
               \(withOverflow ? "overflow" : "0")
        FROM call_attempts WHERE call_id = ?1 ORDER BY attempt
        """
    }

    /// A row when `call_attempts` has had migration 4.
    static let attemptEndExists = "SELECT 1 FROM pragma_table_info('call_attempts') WHERE name = 'ended_at'"
    /// A row when `call_attempts` has the overflow flag (the activation migration).
    static let attemptOverflowExists = "SELECT 1 FROM pragma_table_info('call_attempts') WHERE name = 'overflow'"

    /// Columns 0...9, in the order `CallRecordQuery` reads them; `id` breaks ties so two legs
    /// with the same side (should a caller ever record them) still read back in insert order.
    /// Columns 0...12; a file from before migration 5 reads 0 for the SRTP counters.
    static func selectMedia(withSRTP: Bool) -> String {
        """
        SELECT side, trunk, packets_received, bytes_received, packets_forwarded, packets_dropped,
               rtcp_packets, packets_lost, jitter_ms, latched_source,
               \(withSRTP ? "srtp_auth_failures, srtp_replays, srtp_errors" : "0, 0, 0")
        FROM call_media WHERE call_id = ?1 ORDER BY side, id
        """
    }

    /// A row when `call_media` has had migration 5.
    static let mediaSRTPExists = "SELECT 1 FROM pragma_table_info('call_media') WHERE name = 'srtp_auth_failures'"

    /// A row when the file has had migration 3 (read-only readers do not migrate).
    static let mediaTableExists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'call_media'"

    // MARK: - Parameters, shared by both back ends

    /// Parameters 1...16 of `insertCall`, after `base` others (a multi-row insert's earlier rows).
    static func bindCall<Parameters: StoreParameters>(_ record: CallRecord, node: String?, to statement: Parameters,
                                                      after base: Int32 = 0) throws(Parameters.Failure) {
        try statement.bind(record.callID, at: base + 1)
        try statement.bind(record.legBCallID, at: base + 2)
        try statement.bind(record.fromURI, at: base + 3)
        try statement.bind(record.toURI, at: base + 4)
        try statement.bind(record.ingressTrunk, at: base + 5)
        try statement.bind(record.route, at: base + 6)
        try statement.bind(record.startedAt, at: base + 7)
        try statement.bind(record.answeredAt, at: base + 8)
        try statement.bind(record.endedAt, at: base + 9)
        try statement.bind(record.durationSeconds, at: base + 10)
        try statement.bind(record.disposition, at: base + 11)
        try statement.bind(record.finalStatus, at: base + 12)
        try statement.bind(record.finalTrunk, at: base + 13)
        try statement.bind(record.endedBy, at: base + 14)
        try statement.bind(record.recovered ? 1 : 0, at: base + 15)
        try statement.bind(node, at: base + 16)
    }

    /// Parameters 1...10 of `insertAttempt`, after `base` others; `number` counts from 1.
    static func bindAttempt<Parameters: StoreParameters>(_ attempt: CallAttempt, number: Int, call rowID: Int64,
                                                         to statement: Parameters, after base: Int32 = 0)
        throws(Parameters.Failure)
    {
        try statement.bind(rowID, at: base + 1)
        try statement.bind(number, at: base + 2)
        try statement.bind(attempt.trunk, at: base + 3)
        try statement.bind(attempt.startedAt, at: base + 4)
        try statement.bind(attempt.responseCode, at: base + 5)
        try statement.bind(attempt.reason, at: base + 6)
        try statement.bind(attempt.responseTimeMs, at: base + 7)
        try statement.bind(attempt.outcome, at: base + 8)
        try statement.bind(attempt.endedAt, at: base + 9)
        try statement.bind(attempt.overflow ? 1 : 0, at: base + 10)
    }

    /// Parameters 1...14 of `insertMedia`, after `base` others.
    static func bindMedia<Parameters: StoreParameters>(_ leg: CallMediaLeg, call rowID: Int64, to statement: Parameters,
                                                       after base: Int32 = 0) throws(Parameters.Failure) {
        try statement.bind(rowID, at: base + 1)
        try statement.bind(leg.side, at: base + 2)
        try statement.bind(leg.trunk, at: base + 3)
        try statement.bind(leg.packetsReceived, at: base + 4)
        try statement.bind(leg.bytesReceived, at: base + 5)
        try statement.bind(leg.packetsForwarded, at: base + 6)
        try statement.bind(leg.packetsDropped, at: base + 7)
        try statement.bind(leg.rtcpPackets, at: base + 8)
        try statement.bind(leg.packetsLost, at: base + 9)
        try statement.bind(leg.jitterMs, at: base + 10)
        try statement.bind(leg.latchedSource, at: base + 11)
        try statement.bind(leg.srtpAuthFailures, at: base + 12)
        try statement.bind(leg.srtpReplays, at: base + 13)
        try statement.bind(leg.srtpErrors, at: base + 14)
    }
}
