import AdminAPI
import ArgumentParser
import Foundation

// `sbc ctl calls`, `sbc ctl call ID` and `sbc ctl hangup ID` (docs/ADMIN.md, "Live calls").
extension CtlCommand {
    struct Calls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live calls.")
        @OptionGroup var connection: Connection

        @Option(name: .long, help: "Only calls through this trunk (the caller's or the active carrier's).")
        var trunk: String?

        @Option(name: .long, help: "Only calls on this route.")
        var route: String?

        @Flag(name: .long, inversion: .prefixedNo, help: "Only calls on critical routes (--no-critical: only the others).")
        var critical: Bool?

        func run() throws {
            var query: [String] = []
            if let trunk { query.append("trunk=\(Client.queryValue(trunk))") }
            if let route { query.append("route=\(Client.queryValue(route))") }
            if let critical { query.append("critical=\(critical)") }
            let path = "/api/v1/calls" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let body = try Client(connection).send("GET", path)
            try Output.print(body, json: connection.json, as: [CallStatus].self, table: Output.callTable)
        }
    }

    struct Call: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one live call with its legs, codecs and timers.")
        @OptionGroup var connection: Connection
        @Argument(help: "The call's id (from `sbc ctl calls`) or the Call-ID of any of its legs.") var id: String

        func run() throws {
            let body = try Client(connection).send("GET", "/api/v1/calls/\(Client.pathSegment(id))")
            try Output.print(body, json: connection.json, as: CallStatus.self, table: Output.callDetail)
        }
    }

    struct Hangup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a live call: BYE with a Reason to both legs (CANCEL and 487 if it is still ringing).")
        @OptionGroup var connection: Connection
        @OptionGroup var write: WriteOptions
        @Argument(help: "The call's id or the Call-ID of any of its legs.") var id: String

        func run() throws {
            let body = try Client(connection).write("/api/v1/calls/\(Client.pathSegment(id))", write, method: "DELETE")
            try Output.print(body, json: connection.json, as: CallStatus.self, table: Output.callDetail)
        }
    }
}

extension CtlCommand.Client {
    /// A value as one percent-encoded query component.
    static func queryValue(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension CtlCommand.Output {
    static func callTable(_ calls: [CallStatus]) -> String {
        var rows = [["ID", "STATE", "ROUTE", "FROM TRUNK", "TO TRUNK", "DURATION", "FROM", "TO", "CALL-ID"]]
        for call in calls {
            rows.append([
                String(call.id),
                call.state + (call.critical ? " (critical)" : ""),
                call.route,
                call.ingressTrunk,
                call.trunk ?? "-",
                duration(call.durationSeconds),
                call.from,
                call.to,
                call.callID,
            ])
        }
        return table(rows)
    }

    static func callDetail(_ call: CallStatus) -> String {
        var lines: [(String, String)] = [
            ("call", String(call.id)),
            ("call-id", call.callID),
            ("state", call.state),
            ("route", call.route + (call.critical ? " (critical)" : "")),
            ("from", call.from),
            ("to", call.to),
            ("started", time(call.startedAt)),
        ]
        if let answeredAt = call.answeredAt { lines.append(("answered", time(answeredAt))) }
        lines.append(("duration", duration(call.durationSeconds)))
        if let endedBy = call.endedBy { lines.append(("ended by", endedBy)) }
        for leg in call.legs ?? [] {
            let name = leg.side == "a" ? "caller leg" : "carrier leg \(leg.carrierIndex ?? 0)" + (leg.active ? "" : " (replaced)")
            lines.append((name, "\(leg.trunk) \(leg.transport)/\(leg.peer) target \(leg.remoteTarget)"))
            lines.append(("  call-id, tags", "\(leg.callID) local \(leg.localTag) remote \(leg.remoteTag ?? "-")"))
            lines.append(("  offer/answer", leg.offerAnswer + (leg.codecs.isEmpty ? "" : ", codecs "
                + leg.codecs.map { $0.joined(separator: " ") }.joined(separator: " | "))))
            if let timer = leg.sessionTimer {
                lines.append(("  session timer", String(format: "%.0f s, refresher %@, expires %@", timer.intervalSeconds,
                                                        timer.refresher, time(timer.expiresAt))))
            }
        }
        for stream in call.media?.streams ?? [] {
            lines.append(("media stream \(stream.index)", "caller \(stream.remoteA ?? "-") <-> relay \(port(stream.relayPortA))"
                + " | relay \(port(stream.relayPortB)) <-> carrier \(stream.remoteB ?? "-")"
                + (stream.holding ? " (on hold)" : "") + (stream.srtpA || stream.srtpB ? " (SRTP)" : "")))
        }
        if let timers = call.timers {
            let armed: [(String, Double?)] = [("first provisional", timers.firstProvisionalAt), ("answer", timers.answerAt),
                                              ("re-INVITE", timers.reinviteAt), ("keepalive", timers.keepaliveAt)]
            for (name, at) in armed { if let at { lines.append(("\(name) timer", time(at))) } }
        }
        if let midCall = call.midCall {
            lines.append(("mid-call failovers", "\(midCall.failovers) of \(midCall.maxFailovers)"
                + (midCall.trigger.map { ", replacing a leg lost to \($0)" } ?? "")))
        }
        return keyValues(lines)
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
    }

    private static func port(_ port: UInt16?) -> String { port.map(String.init) ?? "-" }
}
