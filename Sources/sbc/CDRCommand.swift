import ArgumentParser
import CSBCSQLite
import Foundation
import SBCStore

/// `sbc cdr`: print recent call detail records from `<state-dir>/cdr.sqlite`.
///
/// Reads through its own read-only connection (`CallRecordQuery`), so it is safe to run while
/// the SBC is writing: WAL gives it the last committed state without blocking the writer.
struct CDRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cdr",
        abstract: "Show recent call detail records (newest first), with every carrier attempt and media leg."
    )

    @Option(name: .long, help: ArgumentHelp("Directory holding cdr.sqlite.", valueName: "dir"))
    var stateDir: String = "./lab-state"

    @Option(name: .long, help: "Show at most this many calls.")
    var limit: Int = 20

    @Option(name: .long, help: ArgumentHelp("Only calls with this A-leg Call-ID.", valueName: "id"))
    var callID: String?

    @Flag(name: .long, help: "One JSON object per line instead of text.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let path = CallRecordStore.defaultPath(stateDirectory: stateDir)
        let records: [CallRecord]
        do {
            records = try CallRecordQuery.recent(path: path, limit: limit, callID: callID)
        } catch {
            let hint = error.primaryCode == SQLITE_CANTOPEN ? " (no CDR database there yet; is --state-dir right?)" : ""
            FileHandle.standardError.write(Data("sbc cdr: \(error)\(hint)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for record in records {
                print(String(decoding: try encoder.encode(record), as: UTF8.self))
            }
        } else {
            for record in records {
                print(Self.line(for: record))
                for (index, attempt) in record.attempts.enumerated() {
                    print(Self.line(for: attempt, number: index + 1, callStart: record.startedAt))
                }
                for leg in record.media {
                    print(Self.line(for: leg))
                }
            }
        }
    }

    // MARK: - Text format

    /// `<start>  <disposition> <status>  talk <s>  by <who>  <ingress> -> <route> -> <trunk>  <from> -> <to>  call-id <id>`
    static func line(for record: CallRecord) -> String {
        var fields = [timestamp(record.startedAt), record.disposition]
        fields.append(record.finalStatus.map(String.init) ?? "-")
        if let talk = record.durationSeconds {
            fields.append(String(format: "talk %.1fs", talk))
        } else {
            fields.append(String(format: "after %.1fs", record.endedAt - record.startedAt))
        }
        if let endedBy = record.endedBy { fields.append("by \(endedBy)") }
        if record.recovered { fields.append("recovered") }
        fields.append("\(record.ingressTrunk) -> \(record.route ?? "(no route)") -> \(record.finalTrunk ?? "-")")
        fields.append("\(record.fromURI) -> \(record.toURI)")
        fields.append("call-id \(record.callID)")
        if let legB = record.legBCallID { fields.append("b-leg \(legB)") }
        return fields.joined(separator: "  ")
    }

    /// `    #1 +0.010s carrier-a  503 Service Unavailable  12.5 ms  failed_over`, and for a leg
    /// that was answered and later replaced, when it ended:
    /// `    #1 +0.010s carrier-a  200 media_timeout  35.2 ms  mid_call_failover  ended +14.021s`
    static func line(for attempt: CallAttempt, number: Int, callStart: Double) -> String {
        var fields = [String(format: "    #%d +%.3fs %@", number, attempt.startedAt - callStart, attempt.trunk)]
        let status = [attempt.responseCode.map(String.init), attempt.reason].compactMap { $0 }.joined(separator: " ")
        fields.append(status.isEmpty ? "-" : status)
        fields.append(attempt.responseTimeMs.map { String(format: "%.1f ms", $0) } ?? "-")
        fields.append(attempt.outcome)
        if attempt.overflow { fields.append("overflow") }
        if attempt.outcome == "mid_call_failover", let ended = attempt.endedAt {
            fields.append(String(format: "ended +%.3fs", ended - callStart))
        }
        return fields.joined(separator: "  ")
    }

    /// `    media a platform: rx 1500 pkts / 258000 B, fwd 1498, dropped 3, lost 2, jitter 1.4 ms, rtcp 6, from 127.0.0.10:6000`
    /// RFC 3550's loss goes negative when more arrived than was sent (duplicates, such as
    /// repeated RFC 4733 end packets): shown as `lost 0, duplicated N` rather than a negative loss.
    static func line(for leg: CallMediaLeg) -> String {
        var line = "    media \(leg.side) \(leg.trunk ?? "-"): rx \(leg.packetsReceived) pkts / \(leg.bytesReceived) B"
        line += ", fwd \(leg.packetsForwarded), dropped \(leg.packetsDropped)"
        line += leg.packetsLost < 0 ? ", lost 0, duplicated \(-leg.packetsLost)" : ", lost \(leg.packetsLost)"
        line += String(format: ", jitter %.1f ms", leg.jitterMs)
        line += ", rtcp \(leg.rtcpPackets), from \(leg.latchedSource ?? "-")"
        if leg.srtpAuthFailures + leg.srtpReplays + leg.srtpErrors > 0 {
            line += ", srtp: auth failures \(leg.srtpAuthFailures), replays \(leg.srtpReplays), errors \(leg.srtpErrors)"
        }
        return line
    }

    private static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
