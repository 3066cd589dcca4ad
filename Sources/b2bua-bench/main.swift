// In-memory benchmark of the signalling stack: parse, transactions, B2BUA and serialisation of
// complete calls (INVITE, 180, 200, ACK, BYE, 200), with no sockets. It isolates the SBC's own
// CPU cost per call from the kernel and from SIPp, and is repeatable enough to compare commits.
// Usage: b2bua-bench [calls]   (run the release build: swift run -c release b2bua-bench 20000)
import B2BUA
import CSBCLinux
import Glibc
import Logging
import Routing
import SBCConfig
import SIPCore

let calls = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20000 : 20000
let config = try ConfigLoader.parse(yaml: """
    zones:
      - {name: platform, bind: 10.0.0.1, udp_port: 5060}
      - {name: carrier, bind: 10.0.1.1, udp_port: 5080}
    trunks:
      - {name: platform, zone: platform, address: 192.0.2.10}
      - {name: carrier-a, zone: carrier, address: 198.51.100.11}
    routes:
      - {name: out, from_trunk: platform, trunk: carrier-a}
    media: {enabled: false}   # signalling only: SDP crosses as it is, no relay ports to run out of
    """, source: "bench")
var logger = Logger(label: "bench")
logger.logLevel = .warning  // per-call info lines would measure the log handler, not SIP
var b2bua = B2BUA(settings: B2BUASettings(configuration: config, productName: "SwiftSBC/bench"),
                  routing: RoutingTable(configuration: config), logger: logger)
let platform = SIPEndpoint(host: "192.0.2.10", port: 5060, transport: .udp, zone: "platform")
let carrier = SIPEndpoint(host: "198.51.100.11", port: 5060, transport: .udp, zone: "carrier")
let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n"

func threadCPU() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}

var spent = Duration.zero
var now = Duration.seconds(1)
var wireBytes = 0

/// Feeds one message, charging only the SBC's work (and serialising what it sends) to `spent`.
@MainActor func feed(_ text: String, from source: SIPEndpoint) -> [SIPMessage] {
    let bytes = Array(text.utf8)
    let start = threadCPU()
    let out = b2bua.receive(bytes, from: source, now: now)
    for item in out { wireBytes += item.message.serialized().count }
    spent += threadCPU() - start
    return out.map(\.message)
}

func carrierResponse(_ status: String, to request: SIPMessage, body: String = "") -> String {
    "SIP/2.0 \(status)\r\nVia: \(request.firstValue(.via)!)\r\nFrom: \(request.firstValue(.from)!)\r\n"
        + "To: \(request.firstValue(.to)!)\(request.to?.tag == nil ? ";tag=gw1" : "")\r\nCall-ID: \(request.callID!)\r\n"
        + "CSeq: \(request.firstValue(.cseq)!)\r\nContact: <sip:gw@198.51.100.11:5060>\r\n"
        + (body.isEmpty ? "" : "Content-Type: application/sdp\r\n") + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
}

/// Sets up call `call` to the point where both legs are confirmed; returns the caller-side
/// dialog headers for in-dialog requests.
@MainActor func establish(_ call: Int) -> (head: String, dialog: String) {
    let callID = "bench-\(call)@192.0.2.10"
    let head = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK\(call)x%@\r\nMax-Forwards: 70\r\n"
        + "From: \"Agent\" <sip:+15550001111@192.0.2.10>;tag=pl\(call)\r\n"
    let invite = "INVITE sip:+15551230000@10.0.0.1 SIP/2.0\r\n" + head.replacingOccurrences(of: "%@", with: "i")
        + "To: <sip:+15551230000@10.0.0.1>\r\nCall-ID: \(callID)\r\nCSeq: 1 INVITE\r\n"
        + "Contact: <sip:agent@192.0.2.10:5060>\r\nContent-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n\(sdp)"
    guard let outbound = feed(invite, from: platform).first(where: { $0.method == .invite }) else {
        fatalError("no INVITE towards the carrier")
    }
    _ = feed(carrierResponse("180 Ringing", to: outbound), from: carrier)
    let answered = feed(carrierResponse("200 OK", to: outbound, body: sdp), from: carrier)
    guard let aTag = answered.first(where: { $0.statusCode == 200 })?.to?.tag else { fatalError("no 200") }
    let dialog = "To: <sip:+15551230000@10.0.0.1>;tag=\(aTag)\r\nCall-ID: \(callID)\r\n"
    _ = feed("ACK sip:sbc@10.0.0.1:5060 SIP/2.0\r\n" + head.replacingOccurrences(of: "%@", with: "a") + dialog
        + "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", from: platform)
    return (head, dialog)
}

@MainActor func advanceTimers(by step: Duration) {
    now += step
    let start = threadCPU()
    for item in b2bua.advance(to: now) { wireBytes += item.message.serialized().count }
    spent += threadCPU() - start
}

for call in 0..<calls {
    let (head, dialog) = establish(call)
    let bye = feed("BYE sip:sbc@10.0.0.1:5060 SIP/2.0\r\n" + head.replacingOccurrences(of: "%@", with: "b") + dialog
        + "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", from: platform)
    guard let carrierBye = bye.first(where: { $0.method == .bye }) else { fatalError("no BYE towards the carrier") }
    _ = feed(carrierResponse("200 OK", to: carrierBye), from: carrier)
    // 2 ms between calls: 500 calls/s, so timers (J, K, L, M) fire and expire as in production.
    advanceTimers(by: .milliseconds(2))
}
now += .seconds(64)
_ = b2bua.advance(to: now)

let perCall = Double(spent.components.seconds) * 1e6 / Double(calls)
    + Double(spent.components.attoseconds) / 1e12 / Double(calls)
print("calls: \(calls), messages per call: 11 in + out")
print(String(format: "SBC CPU per call (parse + transactions + B2BUA + serialise, no sockets): %.1f us", perCall))
print("left after the last timer: \(b2bua.activeCalls) calls, \(b2bua.activeTransactions) transactions")
print("bytes serialised per call: \(wireBytes / calls)")

// Memory: heap bytes in use (glibc mallinfo2) per established call, right after set-up (with the
// RFC 3261/6026 transaction tails of 64*T1) and once those have expired (steady state).
let held = 5000
let heap0 = csbc_heap_bytes_in_use()
for call in 0..<held { _ = establish(calls + call) }
let heap1 = csbc_heap_bytes_in_use()
advanceTimers(by: .seconds(40))
let heap2 = csbc_heap_bytes_in_use()
print("established calls held: \(b2bua.activeCalls)")
print("heap per established call, first 32 s (with transaction state): \((heap1 - heap0) / held) bytes")
print("heap per established call, steady state: \((heap2 - heap0) / held) bytes")
