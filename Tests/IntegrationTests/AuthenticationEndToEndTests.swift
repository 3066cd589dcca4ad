// Digest authentication towards carriers and registration-based trunks through the real `sbc`
// binary (docs/AUTH.md): a carrier that challenges INVITE (407, then 401 checked by SIPp's
// verifyauth), a registrar that challenges REGISTER (the trunk goes up once registered), and a
// registrar that refuses (the trunk is down with the cause in the admin API).
import Foundation
import Testing

@Suite("Digest authentication and registration end to end (sbc binary + SIPp)", .serialized, .timeLimit(.minutes(2)))
struct AuthenticationEndToEndTests {
    static let username = "lab-user"
    static let password = "lab-secret"

    /// Carrier A's credentials read from a password file (with a trailing newline, as `echo`
    /// writes it): the config never holds the password.
    static func withPasswordFile<T>(_ body: (String) async throws -> T) async throws -> T {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftsbc-itest-pw-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try Data("\(password)\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await body(file.path)
    }

    /// The lab with carrier A's credentials in `passwordFile` (if any) and its `register` mapping.
    static func options(passwordFile: String?, register: String? = nil) -> LabOptions {
        var options = LabOptions()
        options.admin = register != nil
        options.carrierAAuth = passwordFile.map { "{username: \(username), password_file: \($0)}" }
        options.carrierARegister = register
        return options
    }

    static func admin(_ lab: Lab) -> AdminClient {
        AdminClient(base: URL(string: "http://\(lab.block.admin.ip):\(lab.block.admin.port)/")!, token: LabConfig.adminToken)
    }

    /// Polls the trunk until `check` holds on its JSON (bounded).
    static func waitForTrunk(_ admin: AdminClient, _ name: String, within limit: Duration,
                             _ check: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            if let response = try? await admin.get("api/v1/trunks/\(name)") {
                last = response.object
                if check(last) { return last }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test("a carrier that challenges INVITE with 407 (then 401, checked by SIPp's verifyauth): the call completes")
    func challengedInviteCompletes() async throws {
        try await Self.withPasswordFile { passwordFile in
            try await withLab("auth-invite", options: Self.options(passwordFile: passwordFile)) { lab in
                let b = lab.block
                let carrierA = try await lab.startCallee("uas_auth_challenge", at: b.carrierA, name: "carrierA")
                let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
                try await lab.startSBC()
                let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
                let primary = await lab.finish(carrierA)
                let secondary = await lab.finish(carrierB)
                #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(primary.diagnostics)\n\(lab.sbcLog)")
                #expect(primary.sentResponses(200, to: "INVITE").count >= 1 && primary.sentResponses(403).isEmpty,
                        "SIPp's verifyauth accepted the Authorization: \(primary.diagnostics)")
                #expect(secondary.receivedInitialInviteCallIDs.isEmpty, "no failover: the challenge was answered")
                #expect(caller.received.allSatisfy { $0.statusCode != 401 && $0.statusCode != 407 },
                        "the platform sees nothing of the carrier's challenges")

                // Three INVITEs in one dialog: CSeq 1, 2, 3 (retransmissions folded), new branch each.
                let invites = primary.receivedRequests("INVITE")
                let byCSeq = Dictionary(invites.map { ($0.cseqNumber ?? 0, $0) }, uniquingKeysWith: { a, _ in a })
                #expect(byCSeq.keys.sorted().count == 3, "\(byCSeq.keys.sorted())")
                #expect(Set(invites.compactMap(\.callID)).count == 1)
                #expect(Set(byCSeq.values.compactMap(\.topViaBranch)).count == 3)
                let cseqs = byCSeq.keys.sorted()
                guard cseqs.count == 3, let second = byCSeq[cseqs[1]], let third = byCSeq[cseqs[2]] else { return }
                #expect(cseqs[1] == cseqs[0] + 1 && cseqs[2] == cseqs[1] + 1)
                // Checked here, independently of the SBC's code: SIPp reads only Authorization.
                for invite in [second, third] {
                    let header = try #require(invite.first("Proxy-Authorization"))
                    #expect(try DigestCheck.verify(header, method: "INVITE", username: Self.username,
                                                   password: Self.password), "\(header)")
                    #expect(header.contains("opaque=\"opq-"), "opaque echoed")
                }
                #expect(third.first("Authorization") != nil)
                #expect(third.first("Proxy-Authorization")?.contains("nc=00000002") == true,
                        "the proxy's answer goes again with the next nonce count")
                let ack = primary.receivedRequests("ACK").last
                #expect(ack?.cseqNumber == cseqs[2], "the 2xx ACK carries the last INVITE's CSeq")
                let bye = primary.receivedRequests("BYE").first
                #expect(bye?.cseqNumber == cseqs[2] + 1)

                let log = String(decoding: FileManager.default.contents(atPath: lab.sbc?.stderrURL.path ?? "") ?? Data(),
                                 as: UTF8.self)
                #expect(log.contains("answering authentication challenge"))
                #expect(!log.contains(Self.password), "the password is never logged")
            }
        }
    }

    @Test("a registrar that challenges REGISTER: unregistered trunk down, then registered and up")
    func registrationBringsTrunkUp() async throws {
        try await Self.withPasswordFile { passwordFile in
            var options = Self.options(passwordFile: passwordFile,
                                       register: "{expires_s: 3600, retry_min_s: 1, retry_max_s: 2}")
            options.carrierAHealth = "{probe: false, recovery_hold_s: 2}"
            try await withLab("auth-register", options: options) { lab in
                let b = lab.block
                // No registrar yet: the first REGISTER meets ICMP port unreachable.
                try await lab.startSBC()
                let admin = Self.admin(lab)
                let down = try await Self.waitForTrunk(admin, "carrier-a", within: .seconds(5)) {
                    $0["state"] as? String == "down"
                }
                #expect(down["cause"] as? String == "registration_failed", "\(down)\n\(lab.sbcLog)")
                let registrar = try await lab.startCallee("uas_register_auth", at: b.carrierA, name: "registrar")
                let up = try await Self.waitForTrunk(admin, "carrier-a", within: .seconds(10)) {
                    $0["state"] as? String == "up"
                }
                #expect(up["state"] as? String == "up", "\(up)\n\(lab.sbcLog)")
                let registration = up["registration"] as? [String: Any] ?? [:]
                #expect(registration["state"] as? String == "registered", "\(up)")
                #expect(registration["registered"] as? Bool == true)
                #expect(registration["lastStatus"] as? Int == 200)
                let result = await lab.finish(registrar)
                let registers = result.receivedRequests("REGISTER")
                let authorized = registers.filter { $0.first("Authorization") != nil }
                #expect(!authorized.isEmpty, "\(result.diagnostics)")
                #expect(result.sentResponses(200, to: "REGISTER").count >= 1, "SIPp's verifyauth accepted it")
                if let header = authorized.first?.first("Authorization") {
                    #expect(try DigestCheck.verify(header, method: "REGISTER", username: Self.username,
                                                   password: Self.password))
                }
                #expect(Set(registers.compactMap(\.callID)).count == 1, "one Call-ID for the binding")
            }
        }
    }

    @Test("a registrar that refuses: the trunk is down with the cause and the status in the admin API")
    func refusedRegistrationTakesTrunkDown() async throws {
        let options = Self.options(passwordFile: nil, register: "{user: lab-user, retry_min_s: 5}")
        try await withLab("auth-register-403", options: options) { lab in
            let b = lab.block
            let registrar = try await lab.startCallee("uas_register_403", at: b.carrierA, name: "registrar")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.admin(lab)
            let trunk = try await Self.waitForTrunk(admin, "carrier-a", within: .seconds(5)) {
                $0["state"] as? String == "down"
            }
            #expect(trunk["cause"] as? String == "registration_failed", "\(trunk)\n\(lab.sbcLog)")
            #expect((trunk["detail"] as? String)?.contains("403 Forbidden") == true, "\(trunk)")
            let registration = trunk["registration"] as? [String: Any] ?? [:]
            #expect(registration["state"] as? String == "failed")
            #expect(registration["lastStatus"] as? Int == 403)
            #expect(registration["registered"] as? Bool == false)

            // Calls skip the unregistered trunk.
            let calls = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
            let refused = await lab.finish(registrar)
            let secondary = await lab.finish(carrierB)
            #expect(calls.allCallsSucceeded, "\(calls.diagnostics)")
            #expect(secondary.receivedInitialInviteCallIDs.count == 1)
            #expect(refused.receivedRequests("INVITE").isEmpty, "a down trunk gets no INVITE")
        }
    }
}

/// An independent Digest check (RFC 2617 / RFC 7616, MD5 and SHA-256) with Python's hashlib, so
/// the end-to-end tests do not verify the SBC's answers with the SBC's own code.
enum DigestCheck {
    static func verify(_ header: String, method: String, username: String, password: String) throws -> Bool {
        let script = """
            import hashlib, re, sys
            header, method, user, password = sys.argv[1:5]
            params = dict((k.lower(), v1 if v1 else v2) for k, v1, v2 in
                          re.findall(r'([A-Za-z-]+)=(?:"((?:[^"\\\\]|\\\\.)*)"|([^,\\s]+))', header))
            algorithm = params.get('algorithm', 'MD5').upper()
            h = (lambda s: hashlib.sha256(s.encode()).hexdigest()) if algorithm.startswith('SHA-256') \\
                else (lambda s: hashlib.md5(s.encode()).hexdigest())
            ha1 = h(f"{user}:{params['realm']}:{password}")
            if algorithm.endswith('-SESS'):
                ha1 = h(f"{ha1}:{params['nonce']}:{params['cnonce']}")
            ha2 = h(f"{method}:{params['uri']}")
            if 'qop' in params:
                expected = h(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}")
            else:
                expected = h(f"{ha1}:{params['nonce']}:{ha2}")
            ok = params.get('username') == user and params.get('response') == expected
            print('ok' if ok else 'mismatch')
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, header, method, username, password]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "ok"
    }
}
