import Glibc
import Logging
import Media
import MediaRelay
import SBCSystem
import Synchronization

/// A party on the loopback network: one bound UDP socket that sends and waits for datagrams.
final class TestPeer {
    let socket: UDPSocket
    var address: SocketAddress { socket.localAddress }
    var media: MediaAddress { MediaAddress(host: address.host, port: address.port) }

    init(_ host: String, _ port: UInt16) throws {
        socket = try UDPSocket(bind: SocketAddress(host: host, port: port), receiveBufferBytes: 1 << 20,
                               sendBufferBytes: 1 << 20)
    }

    deinit { socket.close() }

    func send(_ bytes: [UInt8], to host: String, _ port: UInt16) throws {
        try socket.send(bytes, to: SocketAddress(host: host, port: port))
    }

    /// Everything that arrives until `count` datagrams are in or `timeout` passes.
    func receive(count: Int, timeout: Duration = .milliseconds(800)) -> [(bytes: [UInt8], source: SocketAddress)] {
        var received: [(bytes: [UInt8], source: SocketAddress)] = []
        let deadline = MonotonicInstant.now() + timeout
        while received.count < count {
            let left = deadline - MonotonicInstant.now()
            guard left > .zero else { break }
            var pfd = pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(left.millisecondsRoundedUp)) > 0 else { continue }
            _ = try? socket.receiveBatch { bytes, source in
                received.append((Array(bytes), source))
            }
        }
        return received
    }

    /// Waits `quiet` and returns whatever arrived meanwhile (for "nothing may arrive" checks).
    func drain(quiet: Duration = .milliseconds(150)) -> [(bytes: [UInt8], source: SocketAddress)] {
        receive(count: .max, timeout: quiet)
    }
}

/// Collects relay events from the worker threads and lets a test wait for one.
final class EventRecorder: Sendable {
    private let recorded = Mutex<[(MediaEvent, MonotonicInstant)]>([])

    var handler: @Sendable (MediaEvent) -> Void {
        { [self] event in recorded.withLock { $0.append((event, .now())) } }
    }

    var events: [MediaEvent] { recorded.withLock { $0.map(\.0) } }

    /// The first event matching `match` (and when it arrived), waiting up to `timeout`.
    func wait<T>(timeout: Duration = .seconds(1), _ match: (MediaEvent) -> T?) -> (T, MonotonicInstant)? {
        let deadline = MonotonicInstant.now() + timeout
        while true {
            let found: (T, MonotonicInstant)? = recorded.withLock { list in
                for (event, at) in list {
                    if let value = match(event) { return (value, at) }
                }
                return nil
            }
            if let found { return found }
            if MonotonicInstant.now() >= deadline { return nil }
            usleep(2_000)
        }
    }

    func closed(_ id: MediaSessionID, timeout: Duration = .seconds(1)) -> MediaSessionStatistics? {
        wait(timeout: timeout) { event -> MediaSessionStatistics? in
            if case .closed(let closedID, let statistics) = event, closedID == id { return statistics }
            return nil
        }?.0
    }

    func failure(_ id: MediaSessionID, timeout: Duration = .seconds(1)) -> String? {
        wait(timeout: timeout) { event -> String? in
            if case .failed(let failedID, let reason, _) = event, failedID == id { return reason }
            return nil
        }?.0
    }

    func latched(_ id: MediaSessionID, side: MediaSide, timeout: Duration = .seconds(1)) -> MediaAddress? {
        wait(timeout: timeout) { event -> MediaAddress? in
            if case .latched(let latchedID, let latchedSide, let source) = event, latchedID == id, latchedSide == side {
                return source
            }
            return nil
        }?.0
    }

    func count(where match: (MediaEvent) -> Bool) -> Int {
        recorded.withLock { $0.filter { match($0.0) }.count }
    }
}

enum RelayTest {
    static let relayHost = "127.0.60.1"
    static let partyA = "127.0.60.2"
    static let partyB = "127.0.60.3"
    static let partyA2 = "127.0.60.4"
    static let stranger = "127.0.60.9"

    static let quietLogger = Logger(label: "media-relay-test") { _ in SwiftLogNoOpLogHandler() }

    static func relay(_ recorder: EventRecorder, workers: Int = 1,
                      policy: SourceLatchPolicy = .signalledAddress) throws -> MediaRelay {
        try MediaRelay(settings: MediaRelaySettings(workers: workers, latchPolicy: policy, socketBufferBytes: 1 << 20,
                                                    timeoutCheckInterval: .milliseconds(50)),
                       logger: quietLogger, events: recorder.handler)
    }

    /// A one-stream session: side a on `base` (+1 RTCP), side b on `base + 2` (+3 RTCP, or
    /// rtcp-mux), parties as given.
    static func spec(id: UInt64, base: UInt16, a: MediaAddress?, b: MediaAddress?, bMux: Bool = false,
                     timeouts: MediaTimeouts = .disabled, armed: Bool = false,
                     relayHost: String = RelayTest.relayHost) -> MediaSessionSpec {
        let aLeg = MediaLegSpec(local: MediaAddress(host: relayHost, port: base), localRTCPPort: base + 1,
                                remoteRTP: a, remoteRTCP: a.map { MediaAddress(host: $0.host, port: $0.port + 1) })
        let bLeg = MediaLegSpec(local: MediaAddress(host: relayHost, port: base + 2),
                                localRTCPPort: bMux ? nil : base + 3, remoteRTP: b,
                                remoteRTCP: bMux ? nil : b.map { MediaAddress(host: $0.host, port: $0.port + 1) })
        return MediaSessionSpec(id: MediaSessionID(id), logID: "call-\(id)",
                                streams: [MediaStreamSpec(index: 0, a: aLeg, b: bLeg)],
                                timeouts: timeouts, armed: armed)
    }

    /// Sends RTP packets with consecutive sequence numbers from `peer`.
    static func sendRTP(from peer: TestPeer, to port: UInt16, count: Int, firstSequence: UInt16 = 1,
                        ssrc: UInt32 = 0x1111, relayHost: String = RelayTest.relayHost) throws {
        for i in 0..<count {
            let sequence = firstSequence &+ UInt16(i)
            try peer.send(rtp(sequence: sequence, ssrc: ssrc), to: relayHost, port)
        }
    }

    static func rtp(sequence: UInt16, ssrc: UInt32 = 0x1111) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 0x00, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        let timestamp = UInt32(sequence) &* 160
        bytes += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        bytes += withUnsafeBytes(of: ssrc.bigEndian, Array.init)
        bytes += [UInt8](repeating: 0xD5, count: 160)
        return bytes
    }

    static func rtcp(ssrc: UInt32 = 0x2222) -> [UInt8] {
        [0x80, 201, 0x00, 0x01] + withUnsafeBytes(of: ssrc.bigEndian, Array.init)
    }

    /// Polls `counters()` until `condition` holds (they are published every tick).
    static func waitCounters(_ relay: MediaRelay, timeout: Duration = .seconds(1),
                             _ condition: (MediaRelayCounters) -> Bool) -> MediaRelayCounters {
        let deadline = MonotonicInstant.now() + timeout
        var counters = relay.counters()
        while !condition(counters), MonotonicInstant.now() < deadline {
            usleep(5_000)
            counters = relay.counters()
        }
        return counters
    }
}
