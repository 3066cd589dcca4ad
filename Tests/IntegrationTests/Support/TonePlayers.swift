// Test-played media that carries content: a plain-RTP party sending a G.711 tone from a UDP
// socket and keeping every packet it receives, and the raw-socket taps of a lab block's
// addresses that watch what the wire carries meanwhile (Support/RawUDP.swift).
import Foundation

/// An RTP packet's fixed fields and payload.
struct RTPView {
    let payloadType: UInt8
    let sequence: UInt16
    let timestamp: UInt32
    let ssrc: UInt32
    let payload: ArraySlice<UInt8>

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return nil }
        let csrcs = Int(bytes[0] & 0x0F)
        var header = 12 + 4 * csrcs
        if bytes[0] & 0x10 != 0 {
            guard bytes.count >= header + 4 else { return nil }
            header += 4 + 4 * (Int(bytes[header + 2]) << 8 | Int(bytes[header + 3]))
        }
        guard bytes.count >= header else { return nil }
        payloadType = bytes[1] & 0x7F
        sequence = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = bytes[4...7].reduce(0) { $0 << 8 | UInt32($1) }
        ssrc = bytes[8...11].reduce(0) { $0 << 8 | UInt32($1) }
        payload = bytes[header...]
    }

    static func make(payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32, payload: [UInt8]) -> [UInt8] {
        var packet: [UInt8] = [0x80, payloadType & 0x7F, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        for value in [timestamp, ssrc] {
            packet += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        }
        return packet + payload
    }
}

/// A plain-RTP party of the test: sends a PCMA tone (one 20 ms packet per `tick`) to
/// `destination` while `sending`, and keeps every datagram it receives.
final class TonePlayer {
    struct Packet {
        let view: RTPView
        let bytes: [UInt8]
        let from: Endpoint
        let at: ContinuousClock.Instant
    }

    let socket: UDPSocket
    let ssrc: UInt32
    var destination: Endpoint?
    var sending = true
    private var tone: ToneGenerator
    private var sequence: UInt16 = 0x1000
    private(set) var sent = 0
    private(set) var received: [Packet] = []
    /// Datagrams that were not RTP.
    private(set) var other: [[UInt8]] = []

    init(socket: UDPSocket, ssrc: UInt32, toneHz: Double, destination: Endpoint? = nil) {
        self.socket = socket
        self.ssrc = ssrc
        self.tone = ToneGenerator(frequency: toneHz)
        self.destination = destination
    }

    func tick() throws {
        guard sending, let destination else { return }
        let payload = tone.next(160).map(G711.alaw)
        try socket.send(RTPView.make(payloadType: 8, sequence: sequence, timestamp: UInt32(truncatingIfNeeded: sent) &* 160,
                                     ssrc: ssrc, payload: payload), to: destination)
        sequence &+= 1
        sent += 1
    }

    func drain() async {
        while let datagram = await socket.receive(timeout: .zero) {
            if let view = RTPView(datagram.bytes) {
                received.append(Packet(view: view, bytes: datagram.bytes, from: datagram.from, at: .now))
            } else {
                other.append(datagram.bytes)
            }
        }
    }

    /// The decoded G.711 audio of the packets of `ssrc` (arrival order: loopback keeps order).
    func samples(of packets: [Packet]) -> [Int16] {
        packets.flatMap { G711.decode($0.view.payload, payloadType: $0.view.payloadType) ?? [] }
    }
}

/// Raw taps on a block's SBC, platform and carrier A addresses: every UDP datagram delivered
/// to each, whoever sent it and whichever socket takes it.
final class WireTaps {
    let sbc: RawUDPSocket
    let platform: RawUDPSocket
    let carrier: RawUDPSocket
    private(set) var toSBC: [WireDatagram] = []
    private(set) var toPlatform: [WireDatagram] = []
    private(set) var toCarrier: [WireDatagram] = []

    init(_ block: LabBlock) throws {
        sbc = try RawUDPSocket(bind: block.sbcIP)
        platform = try RawUDPSocket(bind: block.platform.ip)
        carrier = try RawUDPSocket(bind: block.carrierA.ip)
    }

    func drain() {
        toSBC += sbc.drain()
        toPlatform += platform.drain()
        toCarrier += carrier.drain()
    }

    func close() {
        drain()
        [sbc, platform, carrier].forEach { $0.close() }
    }
}

/// Plays `player` at 20 ms ticks for at most `limit`, draining it and `taps` between ticks,
/// until `done` (checked once per tick) returns true. Returns true if `done` ended it.
@discardableResult
func playTone(_ player: TonePlayer, taps: WireTaps, for limit: Duration,
              until done: () -> Bool = { false }) async throws -> Bool {
    let end = ContinuousClock.now + limit
    var next = ContinuousClock.now
    while ContinuousClock.now < end {
        try player.tick()
        next += .milliseconds(20)
        repeat {
            await player.drain()
            taps.drain()
            if ContinuousClock.now < next { try await Task.sleep(for: .milliseconds(2)) }
        } while ContinuousClock.now < next
        if done() { return true }
        if ContinuousClock.now > next + .milliseconds(200) { next = .now } // never burst to catch up
    }
    return false
}

extension WireDatagram {
    var text: String { String(decoding: payload, as: UTF8.self) }
    var isSIP: Bool { text.hasPrefix("SIP/2.0 ") || text.range(of: #"^[A-Z]+ sip:"#, options: .regularExpression) != nil }
    /// The SIP body (after the blank line).
    var sipBody: String {
        let t = text
        guard let range = t.range(of: "\r\n\r\n") else { return "" }
        return String(t[range.upperBound...])
    }
    func isResponse(_ code: Int, to method: String) -> Bool {
        text.hasPrefix("SIP/2.0 \(code) ") && text.range(of: #"\r\nCSeq: *\d+ "# + method + "\r\n", options: [.regularExpression, .caseInsensitive]) != nil
    }
}
