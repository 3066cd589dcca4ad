import B2BUA
import Media
import SBCSystem

/// The RTP side of one media-path probe (docs/HEALTH.md), run on the signalling loop: a UDP
/// socket on the relay port the probe's offer named, `packets` RTP packets sent `spacing` apart
/// to the carrier's answer, and every RTP packet that comes back on that socket counted until
/// the window closes (or every packet has come back). Then it reports a `MediaProbeObservation`
/// once, unregisters and closes.
///
/// Why on the loop and not the relay workers: a probe is a handful of packets a minute; as a
/// relay session kind it would add a branch to the per-packet path every live call pays for. On
/// the loop it is one more epoll descriptor for a second or two, and the port is the B2BUA's
/// (reserved from `MediaPortAllocator` for the call), so no relay worker binds it meanwhile.
/// The socket is per probe: a late packet of an earlier probe can never count for the next.
final class MediaProbeSession {
    let request: MediaProbeRequest
    private let loop: EventLoop
    private let socket: UDPSocket
    private let remote: SocketAddress
    private let report: (MediaProbeObservation) -> Void
    private var sent = 0
    private var received = 0
    private var echoed = 0
    private var startedAt: MonotonicInstant?
    private var firstReturn: Duration?
    private var icmpError: String?
    private var sendFailure: String?
    private var timers: [TimerHandle] = []
    private var finished = false

    /// Binds the socket and registers it; throws when the port cannot be bound (then the probe
    /// is skipped, not failed: the SBC's problem, not the carrier's).
    init(request: MediaProbeRequest, remote: SocketAddress, loop: EventLoop,
         report: @escaping (MediaProbeObservation) -> Void) throws(SystemError) {
        self.request = request
        self.loop = loop
        self.remote = remote
        self.report = report
        let local = try SocketAddress(host: request.local.host, port: request.local.port)
        socket = try UDPSocket(bind: local, receiveBufferBytes: 64 << 10, sendBufferBytes: 64 << 10)
        do throws(SystemError) {
            try loop.register(fd: socket.fd, interest: .readable) { [unowned self] events in self.ready(events) }
        } catch {
            socket.close()
            throw error
        }
    }

    /// Sends the first packet now, the others on loop timers, and closes the window at its end.
    func start() {
        startedAt = loop.now
        sendPacket(0)
        for index in 1..<max(1, request.packets) {
            timers.append(loop.schedule(after: request.spacing * index) { [unowned self] in self.sendPacket(index) })
        }
        timers.append(loop.schedule(after: request.window) { [unowned self] in self.finish() })
    }

    private func sendPacket(_ index: Int) {
        guard !finished else { return }
        do {
            if try socket.send(request.packet(index), to: remote) { sent += 1 }
        } catch {
            // An ICMP error of an earlier packet is reported on this send; the queue has it.
            if error.isUnreachable { drainErrors() } else { sendFailure = "\(error)" }
        }
    }

    private func ready(_ events: IOEvents) {
        if events.contains(.error) { drainErrors() }
        guard events.contains(.readable), !finished else { return }
        for _ in 0..<4 {
            do {
                let count = try socket.receiveBatch { bytes, _ in self.count(bytes) }
                if count < UDPSocket.batchSize { break }
            } catch {
                if error.isUnreachable {
                    drainErrors()
                    continue
                }
                break
            }
        }
        if received >= request.packets { finish() }
    }

    /// One datagram back: RTP (not RTCP, not garbage) counts; with our SSRC it is an echo.
    private func count(_ bytes: UnsafeRawBufferPointer) {
        guard let packet = RTPPacketView(bytes), !packet.isRTCP else { return }
        received += 1
        if packet.ssrc == request.ssrc { echoed += 1 }
        if firstReturn == nil, let startedAt { firstReturn = loop.now - startedAt }
    }

    private func drainErrors() {
        socket.drainErrors { error in
            let reporter = error.reporter.map { " reported by \($0)" } ?? ""
            icmpError = "ICMP: \(error.error.message)\(reporter)"
        }
    }

    /// Reports once, then releases the socket and the timers.
    func finish() {
        guard !finished else { return }
        finished = true
        for timer in timers { _ = loop.cancel(timer) }
        timers.removeAll()
        loop.unregister(fd: socket.fd)
        socket.close()
        let failure = sent == 0 ? sendFailure.map { "every send failed: \($0)" } : nil
        report(MediaProbeObservation(sent: sent, received: received, echoed: echoed, firstReturn: firstReturn,
                                     icmpError: icmpError, localFailure: failure))
    }
}
