import Glibc
import Testing
@testable import SBCSystem

@Suite("TCPListener and TCPConnection")
struct TCPTests {
    @Test("connect, accept, echo a large payload through pending-output buffers")
    func echo() throws {
        let loop = try EventLoop()
        let listener = try TCPListener(bind: .localhost())
        defer { listener.close() }
        var serverSide: [TCPConnection] = []
        try loop.register(fd: listener.fd, interest: .readable) { _ in
            while let (fd, peer) = try! listener.accept() {
                let conn = TCPConnection(accepted: fd, peer: peer, loop: loop)
                conn.onRead = { bytes in conn.write(bytes) }
                try! conn.start()
                serverSide.append(conn)
            }
        }
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var echoed: [UInt8] = []
        var connected = false
        let client = try TCPConnection.connect(to: listener.localAddress, loop: loop)
        client.onConnected = { connected = true }
        client.onRead = { bytes in
            echoed.append(contentsOf: bytes)
            if echoed.count == payload.count { loop.stop() }
        }
        client.onClose = { error in
            Issue.record("client closed: \(String(describing: error))")
            loop.stop()
        }
        try client.start()
        // Written before the connect completes: must be queued, not lost.
        #expect(client.write(payload))
        #expect(try LoopHarness.run(loop, timeout: .seconds(10)))
        #expect(connected)
        #expect(echoed == payload)
        #expect(client.localAddress?.host == "127.0.0.1")
        #expect(serverSide.first?.peerAddress == client.localAddress)
        client.close()
        serverSide.forEach { $0.close() }
        loop.unregister(fd: listener.fd)
    }

    @Test("connect to a closed port reports ECONNREFUSED via onClose")
    func refused() throws {
        let loop = try EventLoop()
        let dead = SocketAddress.localhost(try closedTCPPort())
        var failure: SystemError?
        var closes = 0
        let client = try TCPConnection.connect(to: dead, loop: loop)
        client.onConnected = { Issue.record("should not connect") }
        client.onClose = { error in
            closes += 1
            failure = error
            loop.stop()
        }
        try client.start()
        #expect(client.write(Array("INVITE".utf8)))
        #expect(try LoopHarness.run(loop))
        #expect(closes == 1)
        #expect(failure?.errno == ECONNREFUSED)
        #expect(failure?.context.contains("\(dead)") == true)
        #expect(client.state == .closed)
        #expect(!client.write(Array("more".utf8)))
    }

    @Test("peer close is reported once with a nil error")
    func orderlyClose() throws {
        let loop = try EventLoop()
        let listener = try TCPListener(bind: .localhost())
        defer { listener.close() }
        try loop.register(fd: listener.fd, interest: .readable) { _ in
            if let (fd, _) = try? listener.accept() {
                _ = Glibc.close(fd)
            }
        }
        var result: [SystemError?] = []
        let client = try TCPConnection.connect(to: listener.localAddress, loop: loop)
        client.onClose = { error in
            result.append(error)
            loop.stop()
        }
        try client.start()
        #expect(try LoopHarness.run(loop))
        #expect(result.count == 1)
        #expect(result.first! == nil || result.first??.errno == ECONNRESET)
        loop.unregister(fd: listener.fd)
    }

    @Test("accept with nothing pending returns nil")
    func acceptEmpty() throws {
        let listener = try TCPListener(bind: .localhost())
        defer { listener.close() }
        #expect(try listener.accept() == nil)
    }
}
