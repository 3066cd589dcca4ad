// Shared fixtures for the transaction-layer tests: SIP text literals parsed into messages, a
// manual clock, and a driver loop that wakes exactly at `nextDeadline`, like the real one.

import SIPCore
import Testing
@testable import SIPTransaction

typealias Manager = TransactionManager<String>
typealias Event = TransactionEvent<String>

/// A clock the test moves by hand: the layer only ever sees the `Duration`s we pass.
struct ManualClock {
    var now: Duration = .zero
    mutating func advance(by delta: Duration) { now += delta }
}

/// Parses a SIP text literal written with `\n` line ends (converted to CRLF).
func sip(_ text: String) -> SIPMessage {
    let wire = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    do {
        return try SIPMessage(parsing: Array(wire.utf8))
    } catch {
        Issue.record("fixture does not parse: \(error)\n\(text)")
        return SIPMessage(startLine: .request(method: .options, uri: "sip:invalid"))
    }
}

func request(_ method: String, branch: String = "z9hG4bK-c1", sentBy: String = "10.0.0.1:5060",
             uri: String = "sip:bob@example.com", callID: String = "call-1@10.0.0.1", cseq: UInt32 = 1,
             fromTag: String = "alice-tag", toTag: String? = nil, extra: String = "") -> SIPMessage
{
    let toParam = toTag.map { ";tag=\($0)" } ?? ""
    return sip("""
    \(method) \(uri) SIP/2.0
    Via: SIP/2.0/UDP \(sentBy);branch=\(branch)
    Max-Forwards: 70
    From: "Alice" <sip:alice@example.com>;tag=\(fromTag)
    To: <sip:bob@example.com>\(toParam)
    Call-ID: \(callID)
    CSeq: \(cseq) \(method)
    Contact: <sip:alice@10.0.0.1:5060>
    \(extra)Content-Length: 0


    """)
}

func invite(branch: String = "z9hG4bK-c1", extra: String = "", cseq: UInt32 = 1) -> SIPMessage {
    request("INVITE", branch: branch, cseq: cseq, extra: extra)
}

func response(to request: SIPMessage, _ status: Int, toTag: String? = "bob-tag") -> SIPMessage {
    SIPResponseBuilder.response(to: request, statusCode: status, toTag: toTag)
}

/// The 2xx-ACK a UAC sends: same dialog and CSeq number, a branch of its own.
func ackFor2xx(of invite: SIPMessage, toTag: String = "bob-tag", branch: String = "z9hG4bK-ack2xx") -> SIPMessage {
    request("ACK", branch: branch, callID: invite.callID ?? "", cseq: invite.cseq?.number ?? 1,
            fromTag: invite.from?.tag ?? "", toTag: toTag)
}

/// The non-2xx ACK a UAC sends: the INVITE's branch, the response's To tag.
func ackForNon2xx(of invite: SIPMessage, toTag: String = "bob-tag") -> SIPMessage {
    request("ACK", branch: invite.topVia?.branch ?? "", callID: invite.callID ?? "",
            cseq: invite.cseq?.number ?? 1, fromTag: invite.from?.tag ?? "", toTag: toTag)
}

extension TransactionEvent {
    /// A compact, comparable rendering: "send INVITE", "send 200", "response 180", "timeout",
    /// "transportError", "terminated".
    var summary: String {
        switch self {
        case .send(let message, _): "send " + message.label
        case .response(let message, _, _): "response " + message.label
        case .timeout: "timeout"
        case .transportError: "transportError"
        case .terminated: "terminated"
        }
    }

    var sent: SIPMessage? {
        if case .send(let message, _) = self { return message }
        return nil
    }

    var delivered: SIPMessage? {
        if case .response(let message, _, _) = self { return message }
        return nil
    }
}

extension SIPMessage {
    var label: String { method?.name ?? statusCode.map(String.init) ?? "?" }
}

/// One event with the time it happened.
struct Timed: Equatable, CustomStringConvertible {
    var at: Duration
    var summary: String
    var description: String { "\(summary)@\(at)" }
}

/// Drives the manager like the real loop would: sleep until `nextDeadline`, call `advance`, until
/// nothing is due before `end`. Returns every event with its firing time.
func runTimers(_ manager: inout Manager, until end: Duration) -> [Timed] {
    var out: [Timed] = []
    while let deadline = manager.nextDeadline, deadline <= end {
        let events = manager.advance(to: deadline)
        out += events.map { Timed(at: deadline, summary: $0.summary) }
    }
    return out
}

/// Seconds as a Duration, for terse schedules.
func s(_ seconds: Double) -> Duration { .milliseconds(Int((seconds * 1000).rounded())) }

func times(_ events: [Timed], _ summary: String) -> [Duration] {
    events.filter { $0.summary == summary }.map(\.at)
}
