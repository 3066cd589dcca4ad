// Issue 14 against the real binary: what the SBC refuses at its edge never reaches a carrier,
// RFC 4475's version error is answered over UDP and TCP, a stray 200 gets no BYE storm, an ICMP
// error ends a BYE's transaction, and the call gauges in /metrics agree with the admin API.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Hardening end to end (sbc binary + raw sockets + SIPp)", .serialized, .timeLimit(.minutes(3)))
struct HardeningEndToEndTests {
    /// An INVITE from the platform socket `from`, with `extra` header lines and no body.
    static func invite(from: Endpoint, to sbc: Endpoint, branch: String, callID: String, extra: String) -> String {
        """
        INVITE sip:+15551230000@\(sbc.ip):\(sbc.port) SIP/2.0\r
        Via: SIP/2.0/UDP \(from.ip):\(from.port);branch=\(branch);rport\r
        Max-Forwards: 70\r
        From: <sip:agent@\(from.ip)>;tag=\(branch)-tag\r
        To: <sip:+15551230000@\(sbc.ip)>\r
        Call-ID: \(callID)\r
        CSeq: 1 INVITE\r
        Contact: <sip:agent@\(from.ip):\(from.port)>\r
        \(extra)Content-Length: 0\r
        \r

        """
    }

    static func carrierInvites(_ sockets: [UDPSocket]) async -> [SIPMessage] {
        var found: [SIPMessage] = []
        for socket in sockets {
            found += await socket.drain(quiet: .milliseconds(300)).compactMap { SIPMessage(bytes: $0.bytes) }
                .filter { $0.method == "INVITE" }
        }
        return found
    }

    @Test("a 30 KB Content-Type and a CR inside a header never reach a carrier; the platform gets 400 naming the problem")
    func uncleanInvitesStopAtTheEdge() async throws {
        try await withLab("hardening-edge") { lab in
            let b = lab.block
            let carrierA = try lab.socket(b.carrierA.ip, port: b.carrierA.port)
            let carrierB = try lab.socket(b.carrierB.ip, port: b.carrierB.port)
            let platform = try lab.socket(b.platform.ip)
            try await lab.startSBC()
            let cases: [(branch: String, extra: String, reason: String)] = [
                ("z9hG4bKbig30k", "Content-Type: \(String(repeating: "%41", count: 10_000))\r\n",
                 "Content-Type header longer than 4096 bytes"),
                ("z9hG4bKbarecr", "X-Note: one\rtwo\r\n", "CR inside the X-Note header"),
                ("z9hG4bKnulbyte", "Subject: a\u{0}b\r\n", "NUL inside the Subject header"),
            ]
            for item in cases {
                let text = Self.invite(from: platform.local, to: b.sbcPlatform, branch: item.branch,
                                       callID: "\(item.branch)@itest", extra: item.extra)
                try platform.send(text, to: b.sbcPlatform)
                let answer = try #require(await platform.awaitResponse(branch: item.branch, timeout: .seconds(5)),
                                          "no answer to \(item.branch)\n\(lab.sbcLog)")
                #expect(answer.statusCode == 400, "\(answer.startLine)")
                #expect(answer.reasonPhrase?.contains(item.reason) == true, "\(answer.startLine)")
            }
            let reached = await Self.carrierInvites([carrierA, carrierB])
            #expect(reached.isEmpty, "carriers got \(reached.map(\.startLine))")
        }
    }

    static let badvers = """
        OPTIONS sip:t.watson@example.org SIP/7.0\r
        Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\r
        Max-Forwards:     70\r
        From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\r
        To:      T. Watson <sip:t.watson@example.org>\r
        Call-ID: badvers.31417@c.example.com\r
        CSeq:    1 OPTIONS\r
        l: 0\r
        \r

        """

    @Test("RFC 4475 badvers gets 505 over UDP and over TCP on its own connection")
    func badversIsAnswered() async throws {
        try await withLab("hardening-badvers") { lab in
            let b = lab.block
            let platform = try lab.socket(b.platform.ip, port: b.platform.port)
            try await lab.startSBC()
            // The Via names c.example.com; the answer goes to the source address, Via port 5060 being
            // the RFC default, so the test sends from the platform's own port and forges nothing.
            let udpText = Self.badvers.replacingOccurrences(of: "c.example.com;", with: "\(b.platform.ip):\(b.platform.port);")
            try platform.send(udpText, to: b.sbcPlatform)
            let answer = try #require(await platform.awaitResponse(branch: "z9hG4bKkdjuw", timeout: .seconds(5)),
                                      "no 505 over UDP\n\(lab.sbcLog)")
            #expect(answer.statusCode == 505, "\(answer.startLine)")

            let reply = try TCPExchange.send(Self.badvers, from: b.platform.ip, to: b.sbcPlatform, timeout: .seconds(5))
            let tcpAnswer = try #require(SIPMessage(text: reply), "no answer over TCP: '\(reply)'\n\(lab.sbcLog)")
            #expect(tcpAnswer.statusCode == 505, "\(tcpAnswer.startLine)")
        }
    }

    /// RFC 4475's own bytes (Tests/SIPCoreTests/Fixtures/rfc4475), with the Via's sent-by made
    /// the test's socket so that the UDP answer comes back to it (`viaHost` is what the RFC wrote).
    static func torture(_ name: String, viaHost: String, sentBy: Endpoint) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SIPCoreTests/Fixtures/rfc4475/\(name).dat")
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        return Array(text.replacingOccurrences(of: "UDP \(viaHost);", with: "UDP \(sentBy.ip):\(sentBy.port);").utf8)
    }

    @Test("RFC 4475 badinv01 and multi01 get 400 over UDP and TCP (they used to be dropped)")
    func badinv01AndMulti01AreAnswered() async throws {
        try await withLab("hardening-4475") { lab in
            let b = lab.block
            let platform = try lab.socket(b.platform.ip, port: b.platform.port)
            try await lab.startSBC()
            for (name, viaHost, callID) in [("badinv01", "192.0.2.15", "badinv01.0ha0isndaksdjasdf3234nas"),
                                            ("multi01", "192.0.2.25", "multi01.98asdh@192.0.2.1")] {
                try platform.send(try Self.torture(name, viaHost: viaHost, sentBy: b.platform), to: b.sbcPlatform)
                let answers = await platform.drain(quiet: .seconds(1)).compactMap { SIPMessage(bytes: $0.bytes) }
                    .filter { $0.callID == callID }
                #expect(answers.map(\.statusCode) == [400], "\(name) over UDP: \(answers.map(\.startLine))\n\(lab.sbcLog)")
                let reply = try TCPExchange.send(String(decoding: try Self.torture(name, viaHost: viaHost, sentBy: b.platform), as: UTF8.self),
                                                 from: b.platform.ip, to: b.sbcPlatform, timeout: .seconds(5))
                #expect(SIPMessage(text: reply)?.statusCode == 400, "\(name) over TCP: '\(reply)'")
            }
        }
    }

    @Test("a stray 200 OK from the platform's address gets no ACK and no BYE")
    func strayOKIsDropped() async throws {
        try await withLab("hardening-stray") { lab in
            let b = lab.block
            let platform = try lab.socket(b.platform.ip, port: b.platform.port)
            try await lab.startSBC()
            let stray = """
                SIP/2.0 200 OK\r
                Via: SIP/2.0/UDP \(b.sbcPlatform.ip):\(b.sbcPlatform.port);branch=z9hG4bKnotours\r
                From: <sip:sbc@\(b.sbcPlatform.ip)>;tag=forged\r
                To: <sip:agent@\(b.platform.ip)>;tag=stray\r
                Call-ID: stray-200@itest\r
                CSeq: 1 INVITE\r
                Contact: <sip:agent@\(b.platform.ip):\(b.platform.port)>\r
                Content-Length: 0\r
                \r

                """
            try platform.send(stray, to: b.sbcPlatform)
            try platform.send(stray, to: b.sbcPlatform)
            let got = await platform.drain(quiet: .seconds(3)).compactMap { SIPMessage(bytes: $0.bytes) }
                .filter { $0.callID == "stray-200@itest" }
            #expect(got.isEmpty, "the SBC answered a stray 200 with \(got.map(\.startLine))")
            #expect(lab.sbcLog.contains("stray response dropped"), "\(lab.sbcLog)")
        }
    }

    @Test("the platform's BYE to a carrier that died mid-call is sent once: the ICMP error ends its transaction")
    func byeToDeadCarrierIsSentOnce() async throws {
        var options = LabOptions()
        options.mediaTimeoutSeconds = 60
        try await withLab("hardening-icmp", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1, pauseMs: 3000)
            _ = try #require(await caller.waitForMessage(timeout: .seconds(10)) {
                $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
            }, "the call was not answered\n\(lab.sbcLog)")
            _ = await carrierA.stop()
            #expect(!Ports.udpInUse(b.carrierA), "carrier A's port is closed")
            let tap = try RawUDPSocket(bind: b.carrierA.ip)
            defer { tap.close() }
            // The caller sends its BYE at the end of its 3 s pause; T1 retransmissions would come
            // 0.5, 1.5 and 3.5 s after it.
            let result = await caller.waitForCompletion(timeout: .seconds(20))
            try await Task.sleep(for: .seconds(5))
            let byes = tap.drain().filter {
                $0.destination == b.carrierA && String(decoding: $0.payload.prefix(4), as: UTF8.self) == "BYE "
            }
            #expect(byes.count == 1, "BYEs sent to the dead carrier: \(byes.count)\n\(lab.sbcLog)")
            let finals = result.receivedResponses(503, to: "BYE")
            #expect(finals.count >= 1, "the caller's BYE gets 503 (transport error)\n\(result.diagnostics)")
        }
    }

    /// A sipvicious tool (Debian `sipvicious`, which ./scripts/test installs).
    static func sipvicious(_ name: String) throws -> URL {
        guard let tool = Tools.which(name) else {
            throw HarnessError("\(name) was not found on PATH (Debian package `sipvicious`; ./scripts/test installs it)")
        }
        return tool
    }

    /// The version `sbc --version` names ("SwiftSBC/0.1 (...)" gives "0.1").
    static func sbcVersion() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftsbc-version-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("version.txt")
        let process = try ManagedProcess(name: "sbc-version", executable: try Tools.sbcBinary(), arguments: ["--version"],
                                         workingDirectory: directory, stdout: output, stderr: output)
        _ = await process.waitForExit(timeout: .seconds(10))
        let text = String(decoding: FileManager.default.contents(atPath: output.path) ?? Data(), as: UTF8.self)
        guard let product = text.split(separator: " ").first, let slash = product.firstIndex(of: "/") else {
            throw HarnessError("no version in `sbc --version`: \(text)")
        }
        return String(product[product.index(after: slash)...])
    }

    /// The values of every `Server:` and `User-Agent:` header in a scanner's output (its debug
    /// dumps print answers as Python byte strings, with `\\r\\n` between headers).
    static func productHeaders(_ output: String) -> [String] {
        var values: [String] = []
        for name in ["Server: ", "User-Agent: "] {
            var rest = output[...]
            while let range = rest.range(of: name) {
                let value = rest[range.upperBound...].prefix { $0 != "\\" && $0 != "\r" && $0 != "\n" && $0 != "'" }
                values.append(String(value))
                rest = rest[range.upperBound...]
            }
        }
        return values
    }

    @Test("svmap and svwar (sipvicious) find the SBC but no version and no users; with server_header \"\" not even the product")
    func scannersLearnNothing() async throws {
        let svmap = try Self.sipvicious("svmap")
        let svwar = try Self.sipvicious("svwar")
        let version = try await Self.sbcVersion()
        for serverHeader in [nil, ""] as [String?] {
            var options = LabOptions()
            if let serverHeader { options.securityExtra = ["server_header: \"\(serverHeader)\""] }
            try await withLab("hardening-scanners", options: options) { lab in
                let b = lab.block
                try await lab.startSBC()
                // svmap from a stranger (403) and from the platform (200 with Allow and Supported);
                // -d prints every answer, so the whole of each is checked, not only the table.
                for (who, ip) in [("stranger", b.strangerIP), ("platform", b.platform.ip)] {
                    let scan = try await lab.run("svmap-\(who)", svmap, ["-d", "-b", ip, "-p", String(b.sbcPlatform.port), b.sbcIP],
                                                 timeout: .seconds(30))
                    let output = scan.stdout + scan.stderr
                    let row = try #require(output.split(separator: "\n").first { $0.contains("| \(b.sbcPlatform) ") },
                                           "svmap (\(who)) did not find the SBC\n\(scan)")
                    let products = Self.productHeaders(output)
                    #expect(!output.contains("SwiftSBC/") && products.allSatisfy { !$0.contains(version) && !$0.contains("/") },
                            "svmap (\(who)) sees a version: \(products)\n\(scan)")
                    #expect(products.isEmpty == (serverHeader != nil), "Server headers \(products)")
                    let userAgent = row.split(separator: "|").last.map { $0.trimmingCharacters(in: .whitespaces) }
                    #expect(userAgent == (serverHeader == nil ? "SwiftSBC" : "unknown"), "svmap (\(who)): \(row)")
                }
                // svwar (0.3.3 ignores -b: it scans from 127.0.0.1, a stranger to this block's SBC),
                // forced past its first check, with each method it knows.
                for method in ["REGISTER", "OPTIONS", "INVITE"] {
                    let scan = try await lab.run("svwar-\(method)", svwar, [
                        "-v", "--force", "-m", method, "-e", "100-199", "--maximumtime", "5",
                        "-P", String(try Ports.free(on: "0.0.0.0")), "-p", String(b.sbcPlatform.port), b.sbcIP,
                    ], timeout: .seconds(60))
                    let output = scan.stdout + scan.stderr
                    #expect(output.contains("Ok SIP device found"), "svwar \(method) reached the SBC\n\(scan)")
                    #expect(output.contains("found nothing") && !output.contains("exists"),
                            "svwar \(method) enumerated users\n\(scan)")
                    #expect(!output.contains("SwiftSBC/") && Self.productHeaders(output).allSatisfy { !$0.contains(version) },
                            "svwar \(method) sees a version\n\(scan)")
                }
            }
        }
    }

    @Test("sbc_active_calls and sbc_trunk_active_calls agree with the status and trunks API while calls are up")
    func gaugesMatchTheAPI() async throws {
        var options = LabOptions()
        options.admin = true
        options.mediaTimeoutSeconds = 60
        try await withLab("hardening-gauges", options: options) { lab in
            let b = lab.block
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 3, pauseMs: 8000)
            // Three calls answered, then at least one publication of the gauges (every second).
            try await Task.sleep(for: .seconds(3))
            let metrics = try await admin.text("metrics").body
            let trunks = try await admin.get("api/v1/trunks").array
            func apiActive(_ name: String) -> Int? {
                (trunks.first { $0["name"] as? String == name }?["counters"] as? [String: Any])?["activeCalls"] as? Int
            }
            #expect(apiActive("carrier-a") == 3, "\(trunks)")
            #expect(prometheusValue(metrics, "sbc_active_calls") == 3, "\(metrics)")
            let status = try await admin.get("api/v1/status").object
            #expect(status["activeCalls"] as? Int == 3, "\(status)")
            for name in ["platform", "carrier-a", "carrier-b"] {
                let api = try #require(apiActive(name), "trunk \(name) in \(trunks)")
                #expect(prometheusValue(metrics, "sbc_trunk_active_calls", labels: ["trunk": name]) == Double(api),
                        "\(name): API says \(api)\n\(metrics)")
                let state = try #require(trunks.first { $0["name"] as? String == name }?["state"] as? String)
                #expect(prometheusValue(metrics, "sbc_trunk_state", labels: ["trunk": name, "state": state]) == 1,
                        "\(name) is \(state) in the API\n\(metrics)")
            }
            let result = await caller.waitForCompletion(timeout: .seconds(30))
            _ = await lab.finish(carrierA)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)")
            try await Task.sleep(for: .seconds(2))
            let after = try await admin.text("metrics").body
            #expect(prometheusValue(after, "sbc_active_calls") == 0, "\(after)")
            #expect(prometheusValue(after, "sbc_trunk_active_calls", labels: ["trunk": "carrier-a"]) == 0)
        }
    }
}

/// One request over a fresh TCP connection from `ip`, and whatever comes back within `timeout`
/// (the connection stays open: the answer must come on it).
enum TCPExchange {
    static func send(_ text: String, from ip: String, to endpoint: Endpoint, timeout: Duration) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(code: errno, what: "socket") }
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, ip, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = endpoint.port.bigEndian
        inet_pton(AF_INET, endpoint.ip, &remote.sin_addr)
        func call(_ body: (UnsafePointer<sockaddr>) -> Int32, _ what: String, _ address: inout sockaddr_in) throws {
            let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
            if rc != 0 { throw SocketError(code: errno, what: what) }
        }
        try call({ bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }, "bind \(ip)", &local)
        try call({ connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }, "connect \(endpoint)", &remote)
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw SocketError(code: errno, what: "write") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else {
                if received.contains(13), String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
                continue
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            received += buffer.prefix(n)
        }
        return String(decoding: received, as: UTF8.self)
    }
}
