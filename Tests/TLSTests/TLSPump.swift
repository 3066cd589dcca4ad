import Testing
@testable import TLS

/// A client and a server session connected in memory: shuttles each side's outbound bytes into
/// the other's `receive` until neither has anything left, recording what each side saw.
final class TLSPump {
    final class Side {
        let session: TLSSession
        var received: [UInt8] = []
        var receiveCalls = 0
        var deliveries = 0
        var completed: TLSHandshakeSummary?
        var failure: TLSFailure?
        var peerClosed = false
        /// Feed the peer's bytes in pieces of this size (nil: as they come).
        var chunkSize: Int?

        init(_ session: TLSSession) { self.session = session }

        var text: String { String(decoding: received, as: UTF8.self) }

        func send(_ text: String) throws(TLSFailure) {
            var bytes = Array(text.utf8)
            try bytes.withUnsafeMutableBytes { raw in Result { () throws(TLSFailure) in try session.send(UnsafeRawBufferPointer(raw)) } }.get()
        }

        func feed(_ bytes: [UInt8]) {
            let size = max(chunkSize ?? bytes.count, 1)
            var offset = 0
            while offset < bytes.count {
                let piece = Array(bytes[offset..<min(offset + size, bytes.count)])
                offset += size
                receiveCalls += 1
                do {
                    let outcome = try piece.withUnsafeBytes { raw in
                        Result { () throws(TLSFailure) in
                            try session.receive(raw) { chunk in
                                self.deliveries += 1
                                self.received.append(contentsOf: chunk)
                            }
                        }
                    }.get()
                    if let summary = outcome.handshakeCompleted {
                        #expect(completed == nil, "handshake reported twice")
                        completed = summary
                    }
                    if outcome.peerClosed { peerClosed = true }
                } catch {
                    if failure == nil { failure = error }
                    return
                }
            }
        }

        func drain() -> [UInt8] {
            var bytes: [UInt8] = []
            session.drainOutbound { bytes.append(contentsOf: $0) }
            #expect(!session.hasOutbound)
            return bytes
        }
    }

    let client: Side
    let server: Side

    init(client: TLSContext, server: TLSContext, serverName: String? = nil, resumptionKey: String? = nil) throws {
        self.client = Side(try TLSSession(context: client, serverName: serverName, resumptionKey: resumptionKey))
        self.server = Side(try TLSSession(context: server))
    }

    /// Starts the client (first time only) and shuttles until quiet.
    @discardableResult
    func run() -> TLSPump {
        if case .handshaking = client.session.state, !started {
            started = true
            do { try client.session.start() } catch { client.failure = error }
        }
        for _ in 0..<100 {
            let toServer = client.drain()
            let toClient = server.drain()
            if toServer.isEmpty && toClient.isEmpty { break }
            if !toServer.isEmpty { server.feed(toServer) }
            if !toClient.isEmpty { client.feed(toClient) }
        }
        return self
    }

    private var started = false

    var bothEstablished: Bool {
        if case .established = client.session.state, case .established = server.session.state { return true }
        return false
    }
}
