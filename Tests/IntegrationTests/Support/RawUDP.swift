// What the wire carries, seen from outside the parties: a raw-socket tap on one loopback
// address (every UDP datagram delivered to it, whoever the receiving socket is), a raw sender
// that forges a datagram's source address and port, tshark capturing loopback traffic, and a
// reader for its pcap files.
// Raw sockets need CAP_NET_RAW (the tests run as root, as ./scripts/test and CI do).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One UDP datagram as the network carried it.
struct WireDatagram: Sendable {
    let source: Endpoint
    let destination: Endpoint
    let payload: [UInt8]
    let at: ContinuousClock.Instant
}

/// Parses an IPv4 packet (header included) carrying UDP.
private func parseIPv4UDP(_ bytes: ArraySlice<UInt8>, at: ContinuousClock.Instant) -> WireDatagram? {
    let base = bytes.startIndex
    guard bytes.count >= 28, bytes[base] >> 4 == 4, bytes[base + 9] == 17 else { return nil }
    let headerLength = Int(bytes[base] & 0x0F) * 4
    let totalLength = Int(bytes[base + 2]) << 8 | Int(bytes[base + 3])
    guard headerLength >= 20, bytes.count >= headerLength + 8 else { return nil }
    func ip(_ at: Int) -> String { (0..<4).map { String(bytes[base + at + $0]) }.joined(separator: ".") }
    let udp = base + headerLength
    let sourcePort = UInt16(bytes[udp]) << 8 | UInt16(bytes[udp + 1])
    let destinationPort = UInt16(bytes[udp + 2]) << 8 | UInt16(bytes[udp + 3])
    let udpLength = Int(bytes[udp + 4]) << 8 | Int(bytes[udp + 5])
    let end = min(bytes.endIndex, base + max(totalLength, headerLength + 8), udp + max(udpLength, 8))
    guard udp + 8 <= end else { return nil }
    return WireDatagram(source: Endpoint(ip: ip(12), port: sourcePort), destination: Endpoint(ip: ip(16), port: destinationPort),
                        payload: Array(bytes[(udp + 8)..<end]), at: at)
}

/// A raw IPv4/UDP socket bound to one address: receives a copy of every UDP datagram the host
/// delivers to that address, and sends UDP datagrams whose header (ports) the caller writes.
final class RawUDPSocket {
    private(set) var fd: Int32
    let ip: String

    init(bind ip: String) throws {
        #if os(Linux)
        let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let type = SOCK_RAW
        #endif
        let fd = socket(AF_INET, type, Int32(IPPROTO_UDP))
        guard fd >= 0 else {
            throw SocketError(code: errno, what: "raw UDP socket (CAP_NET_RAW is needed: run the tests as root)")
        }
        var size: Int32 = 8 << 20
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, ip, &addr.sin_addr) == 1 else {
            _ = Glibc.close(fd)
            throw HarnessError("bad IPv4 address \(ip)")
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw SocketError(code: code, what: "bind raw socket to \(ip)")
        }
        self.fd = fd
        self.ip = ip
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Every datagram queued now (no waiting).
    func drain() -> [WireDatagram] {
        var out: [WireDatagram] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fd >= 0 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard n > 0 else { break }
            if let datagram = parseIPv4UDP(buffer[0..<n], at: .now) { out.append(datagram) }
        }
        return out
    }

    /// Sends `payload` in a UDP datagram from this socket's address and `sourcePort` (which
    /// another process may hold: that is the point) to `destination`. The UDP checksum is left
    /// 0 ("none", RFC 768), which IPv4 receivers accept.
    @discardableResult
    func send(_ payload: [UInt8], sourcePort: UInt16, to destination: Endpoint) throws -> Int {
        let length = UInt16(8 + payload.count)
        let header: [UInt8] = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF),
                               UInt8(destination.port >> 8), UInt8(destination.port & 0xFF),
                               UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, destination.ip, &addr.sin_addr) == 1 else { throw HarnessError("bad IPv4 address \(destination.ip)") }
        let datagram = header + payload
        let sent = datagram.withUnsafeBytes { buf in
            withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buf.baseAddress, buf.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent < 0 { throw SocketError(code: errno, what: "raw sendto \(destination)") }
        return sent
    }
}

/// The UDP datagrams of a pcap file (tshark/dumpcap `-F pcap`), on Ethernet (Linux loopback),
/// Linux cooked (v1, v2) or raw-IP link types.
enum PcapFile {
    static func udpDatagrams(_ url: URL) throws -> [WireDatagram] {
        let bytes = [UInt8](try Data(contentsOf: url))
        guard bytes.count >= 24 else { throw HarnessError("\(url.path): \(bytes.count) bytes, not a pcap file") }
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        let littleEndian: Bool
        switch magic {
        case 0xA1B2_C3D4, 0xA1B2_3C4D: littleEndian = true
        case 0xD4C3_B2A1, 0x4D3C_B2A1: littleEndian = false
        default: throw HarnessError("\(url.path): not a pcap file (magic \(String(magic, radix: 16)); pcapng?)")
        }
        func u32(_ at: Int) -> Int {
            let b = (0..<4).map { UInt32(bytes[at + $0]) }
            return Int(littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24)
        }
        let linkType = u32(20)
        let linkHeader: Int
        switch linkType {
        case 1: linkHeader = 14   // Ethernet (Linux loopback)
        case 113: linkHeader = 16 // Linux cooked v1
        case 276: linkHeader = 20 // Linux cooked v2
        case 101, 12: linkHeader = 0 // raw IP
        default: throw HarnessError("\(url.path): link type \(linkType) not handled")
        }
        var out: [WireDatagram] = []
        var offset = 24
        let now = ContinuousClock.now
        while offset + 16 <= bytes.count {
            let captured = u32(offset + 8)
            let start = offset + 16
            let end = min(bytes.count, start + captured)
            offset = start + captured
            guard end - start > linkHeader else { continue }
            if linkType == 1 {
                let etherType = Int(bytes[start + 12]) << 8 | Int(bytes[start + 13])
                guard etherType == 0x0800 else { continue }
            }
            if let datagram = parseIPv4UDP(bytes[(start + linkHeader)..<end], at: now) { out.append(datagram) }
        }
        return out
    }
}

/// tshark capturing loopback UDP to a pcap file while the test runs.
final class LoopbackCapture {
    let file: URL
    let process: ManagedProcess

    static var binary: URL? { Tools.which("tshark") }

    /// Starts tshark on `lo` with a capture `filter` and waits until it captures (at most 10 s).
    init(lab: Lab, filter: String, name: String = "capture") async throws {
        guard let tshark = Self.binary else { throw HarnessError("tshark is not installed (Debian package tshark)") }
        file = lab.directory.appendingPathComponent("\(name).pcap")
        let log = lab.directory.appendingPathComponent("\(name).tshark.log")
        process = try ManagedProcess(name: "tshark", executable: tshark,
                                     arguments: ["-i", "lo", "-f", filter, "-F", "pcap", "-w", file.path, "-q"],
                                     workingDirectory: lab.directory, stdout: log, stderr: log)
        lab.adopt(process, stopSignal: SIGINT)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let text = String(decoding: FileManager.default.contents(atPath: log.path) ?? Data(), as: UTF8.self)
            if text.contains("Capturing on") { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        await process.stop(signal: SIGINT, grace: .seconds(2))
        throw HarnessError("tshark did not start capturing on lo:\n\(fileTail(log))")
    }

    /// Stops the capture (SIGINT: tshark flushes and closes the file) and reads it.
    func finish() async throws -> [WireDatagram] {
        try await Task.sleep(for: .milliseconds(300)) // the last packets reach the capture
        await process.stop(signal: SIGINT, grace: .seconds(5))
        return try PcapFile.udpDatagrams(file)
    }
}

/// One `a=crypto` attribute (RFC 4568) of an SDP body: tag, suite and the inline key's
/// base64 text (without lifetime or MKI).
struct SDESCrypto: Sendable, Equatable {
    let tag: Int
    let suite: String
    let keyBase64: String
    var keyBytes: [UInt8] { Data(base64Encoded: keyBase64).map { [UInt8]($0) } ?? [] }

    static func all(in sdp: String) -> [SDESCrypto] {
        sdp.split(whereSeparator: \.isNewline).compactMap { rawLine in
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("a=crypto:") else { return nil }
            let fields = line.dropFirst("a=crypto:".count).split(separator: " ")
            guard fields.count >= 3, let tag = Int(fields[0]), fields[2].hasPrefix("inline:") else { return nil }
            let key = fields[2].dropFirst("inline:".count).split(separator: "|").first.map(String.init) ?? ""
            return SDESCrypto(tag: tag, suite: String(fields[1]), keyBase64: key)
        }
    }
}

extension Array where Element == UInt8 {
    /// True if `needle` occurs in these bytes.
    func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var i = 0
        while i + needle.count <= count {
            if self[i] == first, Array(self[i..<i + needle.count]) == needle { return true }
            i += 1
        }
        return false
    }
}
