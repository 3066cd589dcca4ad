// baresip's `ctrl_tcp` module (in baresip-core): commands as netstring-framed JSON over TCP,
// `{"command": "sndcode", "params": "123#", "token": "..."}`, answered with
// `{"response": true, "ok": true, ...}`. A BaresipPlatform started with `control:` listens
// there; `sndcode` sends its parameters as DTMF digits on the current call (baresip 1.0's
// telev: RFC 4733 events, each digit for 9 packet times plus three end packets).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum BaresipControl {
    /// Sends one command and returns baresip's JSON answer; retries the connection for up to
    /// `timeout` (the module binds when baresip starts).
    static func send(_ command: String, params: String, to endpoint: Endpoint,
                     timeout: Duration = .seconds(5)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var lastError = "not tried"
        while ContinuousClock.now < deadline {
            switch exchange(command, params: params, endpoint: endpoint) {
            case .success(let answer): return answer
            case .failure(let error): lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("baresip ctrl_tcp at \(endpoint): \(lastError)")
    }

    private static func exchange(_ command: String, params: String, endpoint: Endpoint) -> Result<String, SocketError> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketError(code: errno, what: "socket")) }
        defer { _ = Glibc.close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = endpoint.port.bigEndian
        _ = inet_pton(AF_INET, endpoint.ip, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .failure(SocketError(code: errno, what: "connect \(endpoint)")) }
        let json = #"{"command":"\#(command)","params":"\#(params)","token":"itest"}"#
        let frame = Array("\(json.utf8.count):\(json),".utf8)
        let sent = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == frame.count else { return .failure(SocketError(code: errno, what: "send")) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !answer.contains(UInt8(ascii: ",")) || !answer.contains(UInt8(ascii: "}")) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        return .success(String(decoding: answer, as: UTF8.self))
    }
}
