// RTP parties the test plays itself (a phone's 50 packets/s from a UDP socket), so it can start,
// stop or kill a party's media at a moment of its choosing and time what arrives where.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One RTP packet a party received.
struct ReceivedRTP: Sendable {
    let ssrc: UInt32?
    let from: Endpoint
    let at: ContinuousClock.Instant
}

/// A media endpoint of the test: a UDP socket that sends a G.711 stream (its own SSRC) to
/// `destination` while `sending`, and logs every packet it receives.
final class RTPParty {
    let name: String
    let socket: UDPSocket
    let ssrc: UInt32
    /// Where the party sends; nil until known.
    var destination: Endpoint?
    /// Learn `destination` from the first packet received while it is nil (symmetric RTP: send
    /// back to where the relay sends from), as a carrier's media gateway does once it hears RTP.
    var learnsDestination: Bool
    var sending = true
    private(set) var sent = 0
    private(set) var received: [ReceivedRTP] = []
    private(set) var lastSentAt: ContinuousClock.Instant?
    private var sequence: UInt16 = 0

    init(_ name: String, socket: UDPSocket, ssrc: UInt32, destination: Endpoint? = nil, learnsDestination: Bool = false) {
        self.name = name
        self.socket = socket
        self.ssrc = ssrc
        self.destination = destination
        self.learnsDestination = learnsDestination
    }

    var isOpen: Bool { socket.fd >= 0 }

    /// The party's process dies: its socket closes (packets sent to it now draw ICMP port unreachable).
    func kill() {
        sending = false
        socket.close()
    }

    /// One packet of the stream, if the party sends and knows where.
    func tick() {
        guard sending, isOpen, let destination else { return }
        if (try? socket.send(RTPPacket.make(ssrc: ssrc, sequence: sequence), to: destination)) != nil {
            sent += 1
            lastSentAt = .now
        }
        sequence &+= 1
    }

    /// Takes every datagram already queued (no waiting).
    func drain() async {
        guard isOpen else { return }
        while let datagram = await socket.receive(timeout: .zero) {
            received.append(ReceivedRTP(ssrc: RTPPacket.ssrc(of: datagram.bytes), from: datagram.from, at: .now))
            if destination == nil, learnsDestination { destination = datagram.from }
        }
    }

    func received(from ssrc: UInt32) -> [ReceivedRTP] { received.filter { $0.ssrc == ssrc } }
}

/// Plays `parties` at 50 packets/s each (one packet per party every 20 ms), draining what they
/// receive between ticks, until `done` returns true or `limit` passes. `done` runs once per tick
/// and may change the parties (stop one, kill one, set a destination). Returns true if `done` ended it.
@discardableResult
func playRTP(_ parties: [RTPParty], for limit: Duration, until done: () async -> Bool = { false }) async -> Bool {
    let clock = ContinuousClock()
    let end = clock.now + limit
    var next = clock.now
    while clock.now < end {
        for party in parties { party.tick() }
        next += .milliseconds(20)
        // Drain in short slices so that arrival times are accurate to a few milliseconds.
        repeat {
            for party in parties { await party.drain() }
            if clock.now < next { try? await Task.sleep(for: .milliseconds(2)) }
        } while clock.now < next
        if await done() { return true }
        if clock.now > next + .milliseconds(200) { next = clock.now } // never burst to catch up
    }
    return false
}

extension SIPpProcess {
    /// What SIPp logged so far: it writes (and flushes) its `-trace_msg` file message by message,
    /// so a test can read a running peer's SDP (e.g. the SBC's relay port in a 200).
    func entriesSoFar() -> [SIPpLogEntry] {
        let data = FileManager.default.contents(atPath: messageFile.path) ?? Data()
        return SIPpLog.parse(String(decoding: data, as: UTF8.self))
    }

    /// Polls the running SIPp's log until `match` finds a message (bounded by `timeout`).
    func waitForMessage(timeout: Duration, _ match: (SIPpLogEntry) -> Bool) async -> SIPMessage? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = entriesSoFar().first(where: match) { return found.message }
            if !process.isRunning { return entriesSoFar().first(where: match)?.message }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// The first audio stream's connection address and port in an SDP body.
func sdpAudioEndpoint(_ sdp: String) -> Endpoint? {
    var address: String?
    var port: UInt16?
    for rawLine in sdp.split(whereSeparator: \.isNewline) {
        let line = rawLine.trimmingCharacters(in: .whitespaces)
        if line.hasPrefix("c=IN IP4 "), port == nil || address == nil {
            address = String(line.dropFirst("c=IN IP4 ".count)).split(separator: "/").first.map(String.init)
        } else if line.hasPrefix("m=audio "), port == nil {
            port = line.split(separator: " ").dropFirst().first.flatMap { UInt16($0) }
        }
    }
    guard let address, let port else { return nil }
    return Endpoint(ip: address, port: port)
}

extension AdminClient {
    /// `GET path` as text (the Prometheus exposition at /metrics).
    func text(_ path: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!.absoluteURL)
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

/// The value of the Prometheus sample `name` whose labels include every `labels` pair, nil if absent.
func prometheusValue(_ exposition: String, _ name: String, labels: [String: String] = [:]) -> Double? {
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { continue }
        let series = line.split(separator: " ").first.map(String.init) ?? ""
        guard labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
        return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
}
