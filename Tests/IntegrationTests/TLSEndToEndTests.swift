// SIP over TLS through the real `sbc` binary (issue 11), with TLS implementations that are not
// the SBC's: Python's ssl (tls_uac.py as the platform, tls_uas.py as a carrier), openssl
// s_client, baresip (libre/OpenSSL) and sipsak (GnuTLS). Every lab generates its certificates
// with scripts/tls-certs (Support/TLSLab.swift); their SANs name the fixed lab's 127.0.0.x, so
// names are checked through the DNS names (sbc.lab, platform.lab, carrier-a.lab) with
// `server_name` and `-servername`. Covered: calls over one platform connection, the chain and
// versions a client sees, a carrier over TLS (Request-URI, Via and Contact say TLS, one
// connection for many calls), a refused or expired carrier certificate as a transport failure
// (failover, the trunk down with the cause in the API and /metrics), mutual TLS on the platform
// trunk, baresip and sipsak as TLS platforms, the expiry gauges and certificate reloads (admin
// API and SIGHUP) that keep established connections, and `sbc check-config` on TLS files.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("SIP over TLS end to end (sbc binary + Python ssl, openssl, baresip, sipsak peers)", .serialized,
       .timeLimit(.minutes(2)))
struct TLSEndToEndTests {
    static let baresipMissing = Comment(rawValue: Baresip.notInstalled)
    static var sipsakInstalled: Bool { Tools.which("sipsak") != nil }

    /// The lab with TLS listeners on both zones (the lab certificates) and the admin API on.
    static func options(_ configure: (inout LabTLSOptions) -> Void = { _ in }) async throws -> LabOptions {
        var tls = LabTLSOptions(certificates: try await LabCertificates.shared())
        configure(&tls)
        var options = LabOptions()
        options.admin = true
        options.tls = tls
        return options
    }

    /// Carrier A over TLS, checked as the lab checks it: the lab CA's chain and, by default,
    /// carrier A's DNS name; OPTIONS probes on the carriers if asked.
    static func carrierAOverTLS(serverName: String = "carrier-a.lab", probes: Bool = false) async throws -> LabOptions {
        var options = try await Self.options { $0.carrierA = LabTrunkTLS(verify: "chain_name", serverName: serverName) }
        options.probes = probes
        return options
    }

    static func admin(_ lab: Lab) -> AdminClient {
        AdminClient(base: URL(string: "http://\(lab.block.admin.ip):\(lab.block.admin.port)/")!, token: LabConfig.adminToken)
    }

    static func metrics(_ lab: Lab) async -> String {
        (try? await admin(lab).text("metrics"))?.body ?? "(GET /metrics failed)"
    }

    /// Polls /metrics until `name{labels}` is present (bounded); returns the last exposition and the value.
    static func waitForMetric(_ lab: Lab, _ name: String, labels: [String: String],
                              within limit: Duration = .seconds(5)) async -> (value: Double?, exposition: String) {
        let deadline = ContinuousClock.now + limit
        var exposition = ""
        while true {
            exposition = await metrics(lab)
            if let value = prometheusValue(exposition, name, labels: labels) { return (value, exposition) }
            if ContinuousClock.now >= deadline { return (nil, exposition) }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: 1. a TLS platform, one connection, 20 calls

    @Test("a TLS platform (no client certificate) makes 20 calls over one connection: all reach carrier A over UDP and complete, one inbound handshake, 20 answered CDRs")
    func twentyCallsOverOnePlatformConnection() async throws {
        try await withLab("tls-platform-20", options: try await Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let platform = try await lab.runTLSPlatform(from: b.platform.ip, to: b.sbcPlatformTLS, calls: 20)
            let metrics = await Self.metrics(lab)
            let callee = await lab.finish(carrierA)

            #expect(platform.allCompleted && platform.completed == 20, "\(platform)\n\(lab.sbcLog)")
            #expect((platform.handshake["peer_subject"] as? [String: Any])?["commonName"] as? String == "sbc.lab",
                    "the platform verified the SBC as sbc.lab against the lab CA: \(platform.handshake)")
            #expect(callee.receivedInitialInviteCallIDs.count == 20, "\(callee.diagnostics)")
            #expect(Set(callee.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 20, "\(callee.diagnostics)")
            #expect(callee.receivedRequests("INVITE").allSatisfy { $0.startLine.hasSuffix("SIP/2.0") && $0.raw.contains("SIP/2.0/UDP") },
                    "carrier A is reached over UDP")
            #expect(prometheusValue(metrics, "sbc_tls_handshakes_total", labels: ["direction": "inbound"]) == 1,
                    "one connection, one handshake\n\(metrics)")

            let records = try await lab.callDetailRecords()
            #expect(records.count == 20, "\(records)")
            #expect(records.allSatisfy { $0["disposition"] as? String == "answered" && $0["final_trunk"] as? String == "carrier-a" },
                    "\(records.prefix(2))")
        }
    }

    // MARK: 2. openssl s_client

    @Test("openssl s_client sees TLS 1.3, the chain (sbc.lab issued by the lab CA) and a verified name; -tls1_2 works; a zone with min_version 1.3 refuses -tls1_2")
    func opensslClientSeesChainAndVersions() async throws {
        let options = try await Self.options { $0.carrierMinVersion = "1.3" }
        try await withLab("tls-s-client", options: options) { lab in
            let b = lab.block
            try await lab.startSBC()
            let ca = try lab.certificates.appendingPathComponent("ca.pem")
            let caPEM = try String(contentsOf: ca, encoding: .utf8)
            let leafPEM = try String(contentsOf: lab.certificates.appendingPathComponent("sbc.pem"), encoding: .utf8)

            let tls13 = try await OpenSSLTool.connect(b.sbcPlatformTLS, caFile: ca, in: lab.directory)
            #expect(tls13.succeeded, "\(tls13.output)\n\(lab.sbcLog)")
            #expect(tls13.output.contains("New, TLSv1.3, Cipher is"), "\(tls13.output)")
            #expect(tls13.output.contains("Verify return code: 0 (ok)"), "\(tls13.output)")
            #expect(tls13.output.contains("subject=CN = sbc.lab"), "\(tls13.output)")
            #expect(tls13.output.contains("issuer=CN = SwiftSBC Lab CA"), "\(tls13.output)")
            #expect(tls13.output.contains(" 0 s:CN = sbc.lab") && tls13.output.contains(" 1 s:CN = SwiftSBC Lab CA"),
                    "-showcerts lists the leaf and the CA\n\(tls13.output)")
            let chain = OpenSSLTool.pemBlocks(tls13.output)
            #expect(chain == OpenSSLTool.pemBlocks(leafPEM) + OpenSSLTool.pemBlocks(caPEM),
                    "the chain sent is sbc-chain.pem: the leaf, then the CA")

            let tls12 = try await OpenSSLTool.connect(b.sbcPlatformTLS, caFile: ca, extra: ["-tls1_2"], in: lab.directory)
            #expect(tls12.succeeded, "\(tls12.output)")
            #expect(tls12.output.contains("Protocol  : TLSv1.2"), "\(tls12.output)")
            #expect(tls12.output.contains("Verify return code: 0 (ok)"), "\(tls12.output)")

            let refused = try await OpenSSLTool.connect(b.sbcCarrierTLS, caFile: ca, extra: ["-tls1_2"], in: lab.directory)
            #expect(!refused.succeeded, "min_version 1.3 refuses a TLS 1.2 client\n\(refused.output)")
            #expect(refused.output.contains("alert protocol version") && refused.output.contains("Cipher is (NONE)"),
                    "refused in the handshake with a protocol_version alert\n\(refused.output)")
            let carrier13 = try await OpenSSLTool.connect(b.sbcCarrierTLS, caFile: ca, in: lab.directory)
            #expect(carrier13.succeeded && carrier13.output.contains("New, TLSv1.3"), "\(carrier13.output)")
        }
    }

    // MARK: 3. a carrier over TLS

    @Test("carrier A over TLS (chain + name carrier-a.lab): 5 UDP platform calls complete over one connection; Request-URI, Via and Contact say TLS")
    func carrierOverTLS() async throws {
        try await withLab("tls-carrier", options: try await Self.carrierAOverTLS()) { lab in
            let b = lab.block
            let carrier = try await TLSCarrier(lab: lab, name: "carrierA-tls", at: b.carrierA, certificate: "carrier-a")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 5, rate: 10,
                                                 pauseMs: 100)
            try await Task.sleep(for: .milliseconds(300))
            let metrics = await Self.metrics(lab)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(carrier.logTail)\n\(lab.sbcLog)")
            let invites = carrier.requests("INVITE")
            #expect(invites.count == 5, "\(carrier.logTail)")
            #expect(carrier.requests("BYE").count == 5, "\(carrier.logTail)")
            for invite in invites {
                let uri = invite["uri"] as? String ?? ""
                #expect(uri.hasPrefix("sip:") && uri.contains("@\(b.carrierA.ip):\(b.carrierA.port)") && uri.hasSuffix(";transport=tls"),
                        "Request-URI: \(uri)")
                #expect((invite["via"] as? String ?? "").hasPrefix("Via: SIP/2.0/TLS \(b.sbcCarrier.ip)"), "\(invite)")
                #expect((invite["contact"] as? String ?? "").contains("transport=tls"), "\(invite)")
            }
            #expect(carrier.handshakes.count == 1, "5 calls, one connection\n\(carrier.logTail)")
            #expect(carrier.failedHandshakes.isEmpty, "\(carrier.logTail)")
            #expect(prometheusValue(metrics, "sbc_tls_handshakes_total", labels: ["direction": "outbound"]) == 1, "\(metrics)")
        }
    }

    // MARK: 4. a refused carrier certificate

    @Test("carrier A presents a self-signed certificate under chain + name: the call fails over to B, A goes down with 'unknown CA' in the API, /metrics counts unknown_ca")
    func selfSignedCarrierFailsOver() async throws {
        try await withLab("tls-carrier-selfsigned", options: try await Self.carrierAOverTLS(probes: true)) { lab in
            let b = lab.block
            let carrierA = try await TLSCarrier(lab: lab, name: "carrierA-rogue", at: b.carrierA, certificate: "selfsigned")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
            let admin = Self.admin(lab)
            let down = try await admin.waitForTrunk("carrier-a", state: "down", within: .seconds(8))
            let trunk = try await admin.get("api/v1/trunks/carrier-a").object
            let metrics = await Self.metrics(lab)
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(carrierA.logTail)\n\(lab.sbcLog)")
            #expect(Set(secondary.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 1, "\(secondary.diagnostics)")
            #expect(carrierA.requests("INVITE").isEmpty && carrierA.handshakes.isEmpty,
                    "no SIP reaches a carrier whose certificate is refused\n\(carrierA.logTail)")
            #expect(!carrierA.failedHandshakes.isEmpty, "the SBC aborted the handshakes\n\(carrierA.logTail)")
            #expect(down, "carrier A goes down on failed probes: \(trunk)\n\(lab.sbcLog)")
            let detail = trunk["detail"] as? String ?? ""
            #expect(detail.contains("unknown CA") && detail.contains("rogue.lab"), "the API names the certificate problem: \(trunk)")
            #expect(trunk["cause"] as? String == "probe_failed", "\(trunk)")
            #expect((prometheusValue(metrics, "sbc_tls_handshake_failures_total", labels: ["cause": "unknown_ca"]) ?? 0) >= 1,
                    "\(metrics)")

            let records = try await lab.callDetailRecords()
            let attempts = records.first?["attempts"] as? [[String: Any]] ?? []
            #expect(attempts.first?["trunk"] as? String == "carrier-a" && attempts.last?["trunk"] as? String == "carrier-b"
                        && attempts.last?["outcome"] as? String == "answered",
                    "the call tried A first and was answered on B: \(attempts)")
        }
    }

    // MARK: 5. an expired carrier certificate

    /// expired.pem names expired.lab (and carrier B), not carrier-a.lab: under carrier A's own
    /// `server_name` the certificate is both expired and misnamed, and the expiry is what the
    /// operator must be told; under `server_name: expired.lab` it is only expired.
    @Test("carrier A presents an expired certificate: the trunk goes down with the expiry in the API detail",
          arguments: ["carrier-a.lab", "expired.lab"])
    func expiredCarrierCertificate(serverName: String) async throws {
        let options = try await Self.carrierAOverTLS(serverName: serverName, probes: true)
        try await withLab("tls-carrier-expired", options: options) { lab in
            let b = lab.block
            let carrierA = try await TLSCarrier(lab: lab, name: "carrierA-expired", at: b.carrierA, certificate: "expired")
            _ = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let admin = Self.admin(lab)
            let down = try await admin.waitForTrunk("carrier-a", state: "down", within: .seconds(8))
            let trunk = try await admin.get("api/v1/trunks/carrier-a").object
            let metrics = await Self.metrics(lab)

            #expect(down, "\(trunk)\n\(carrierA.logTail)\n\(lab.sbcLog)")
            let detail = trunk["detail"] as? String ?? ""
            #expect(detail.contains("certificate expired") && detail.contains("expired.lab"), "the API names the expiry: \(trunk)")
            #expect(detail.contains("2021-01-01"), "with the notAfter date: \(trunk)")
            #expect((prometheusValue(metrics, "sbc_tls_handshake_failures_total", labels: ["cause": "certificate_expired"]) ?? 0) >= 1,
                    "\(metrics)")
            #expect(carrierA.requests("OPTIONS").isEmpty, "\(carrierA.logTail)")
        }
    }

    // MARK: 6. mutual TLS on the platform trunk

    @Test("mutual TLS: the platform trunk requires a lab-CA certificate naming platform.lab; without one or with a self-signed one the platform is refused, with platform.pem its call completes")
    func mutualTLSPlatform() async throws {
        let options = try await Self.options {
            $0.platformTrunk = LabTrunkTLS(verify: "chain_name", serverName: "platform.lab", requireClientCertificate: true)
        }
        try await withLab("tls-mutual", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()

            let anonymous = try await lab.runTLSPlatform(from: b.platform.ip, to: b.sbcPlatformTLS, calls: 1,
                                                         name: "uac-no-cert", timeout: .seconds(15))
            let rogue = try await lab.runTLSPlatform(from: b.platform.ip, to: b.sbcPlatformTLS, calls: 1,
                                                     certificate: "selfsigned", name: "uac-selfsigned", timeout: .seconds(15))
            let served = try await lab.runTLSPlatform(from: b.platform.ip, to: b.sbcPlatformTLS, calls: 1,
                                                      certificate: "platform", name: "uac-platform")
            let metrics = await Self.metrics(lab)
            let callee = await lab.finish(carrierA)

            // Refused in the handshake, with the alert that says why (TLS 1.3: after the client's
            // Finished, so Python sees it on its first read).
            for (refused, alert) in [(anonymous, "certificate required"), (rogue, "unknown ca")] {
                #expect(!refused.allCompleted && refused.completed == 0 && refused.calls.isEmpty, "\(refused)")
                #expect(refused.handshakeError?.lowercased().contains(alert) == true, "expected the '\(alert)' alert: \(refused)")
            }
            #expect(served.allCompleted && served.completed == 1, "\(served)\n\(lab.sbcLog)")
            #expect(callee.receivedInitialInviteCallIDs.count == 1, "only the authenticated platform's call reaches carrier A\n\(callee.diagnostics)")
            #expect((prometheusValue(metrics, "sbc_tls_handshake_failures_total", labels: ["cause": "no_certificate"]) ?? 0) >= 1,
                    "\(metrics)")
            #expect((prometheusValue(metrics, "sbc_tls_handshake_failures_total", labels: ["cause": "unknown_ca"]) ?? 0) >= 1,
                    "\(metrics)")
        }
    }

    // MARK: 7. baresip and sipsak

    @Test("baresip dials over TLS (sip_cafile the lab CA; with mutual TLS, sip_certificate platform-combined.pem): the call completes at carrier A",
          .enabled(if: Baresip.isInstalled, baresipMissing), arguments: [false, true])
    func baresipOverTLS(mutual: Bool) async throws {
        let options = try await Self.options {
            if mutual {
                $0.platformTrunk = LabTrunkTLS(verify: "chain_name", serverName: "platform.lab", requireClientCertificate: true)
            }
        }
        try await withLab(mutual ? "tls-baresip-mutual" : "tls-baresip", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()
            let certificates = try lab.certificates
            let baresip = try await BaresipPlatform(
                lab: lab, address: b.platform,
                dialing: "sip:+15551230000@\(b.sbcPlatformTLS.ip):\(b.sbcPlatformTLS.port);transport=tls",
                toneHz: 1000, lifetime: .seconds(20), mediaenc: nil, codecs: "PCMU",
                tls: .init(caFile: certificates.appendingPathComponent("ca.pem"),
                           certificate: mutual ? certificates.appendingPathComponent("platform-combined.pem") : nil))

            let ack = await carrierA.waitForMessage(timeout: .seconds(10)) {
                $0.direction == .received && $0.message.method == "ACK"
            }
            #expect(ack != nil, "the call was answered at carrier A\n\(baresip.logTail())\n\(lab.sbcLog)")
            try await Task.sleep(for: .milliseconds(500))
            await baresip.hangUp()
            let callee = await lab.finish(carrierA, settle: .milliseconds(500))
            let metrics = await Self.metrics(lab)

            #expect(Set(callee.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 1,
                    "baresip's BYE reached carrier A\n\(callee.diagnostics)\n\(baresip.logTail())")
            #expect(baresip.log.contains("TLS \(b.platform.ip):") && baresip.log.contains("Via: SIP/2.0/TLS \(b.platform.ip)"),
                    "baresip called over TLS from the platform's address\n\(baresip.logTail())")
            #expect(baresip.log.contains("Contact: <sip:sbc@\(b.sbcPlatformTLS.ip):\(b.sbcPlatformTLS.port);transport=tls>"),
                    "the SBC's 200 names its TLS listener as Contact\n\(baresip.logTail())")
            #expect(prometheusValue(metrics, "sbc_tls_handshakes_total", labels: ["direction": "inbound"]) == 1, "\(metrics)")
        }
    }

    /// sipsak 0.9.8.1 reads once after its request and gives up ("nothing received, select
    /// returned error") if that read returns no application data, which is what TLS 1.3's
    /// post-handshake NewSessionTicket records (OpenSSL servers send two by default) give it.
    /// So it runs with TLS 1.3 disabled through GnuTLS's system configuration override
    /// (GNUTLS_SYSTEM_PRIORITY_FILE, this process only); the SBC offers 1.2 as well.
    @Test("sipsak -E tls (GnuTLS, TLS 1.2): OPTIONS over TLS from the platform's address gets 200, from a stranger 403",
          .enabled(if: sipsakInstalled, "sipsak is not installed (Debian package sipsak)"))
    func sipsakOptionsOverTLS() async throws {
        try await withLab("tls-sipsak", options: try await Self.options()) { lab in
            let b = lab.block
            try await lab.startSBC()
            let sipsak = try #require(Tools.which("sipsak"))
            let gnutlsConfig = lab.directory.appendingPathComponent("gnutls.config")
            try "[overrides]\ndisabled-version = tls1.3\n".write(to: gnutlsConfig, atomically: true, encoding: .utf8)
            func options(from ip: String) async throws -> ToolResult {
                try await runTool("sipsak", URL(fileURLWithPath: "/usr/bin/env"), [
                    "GNUTLS_SYSTEM_PRIORITY_FILE=\(gnutlsConfig.path)", sipsak.path, "-E", "tls", "--tls-ca-cert", try lab.certificates.appendingPathComponent("ca.pem").path,
                    "--tls-ignore-cert-failure", "--local-ip", ip, "-vvv",
                    "-s", "sip:ping@\(b.sbcPlatformTLS.ip):\(b.sbcPlatformTLS.port)",
                ], in: lab.directory, timeout: .seconds(10))
            }
            let platform = try await options(from: b.platform.ip)
            #expect(platform.output.contains("Protocol: TLS1.2"), "\(platform.output)")
            #expect(platform.output.contains("received from: TLS:\(b.sbcPlatformTLS.ip):\(b.sbcPlatformTLS.port)")
                        && platform.output.contains("SIP/2.0 200 OK"), "\(platform.output)\n\(lab.sbcLog)")
            let stranger = try await options(from: b.strangerIP)
            #expect(stranger.output.contains("SIP/2.0 403 Forbidden"), "\(stranger.output)\n\(lab.sbcLog)")
            let metrics = await Self.metrics(lab)
            #expect(prometheusValue(metrics, "sbc_tls_handshakes_total", labels: ["direction": "inbound"]) == 2, "\(metrics)")
        }
    }

    // MARK: 8. certificate expiry and reload

    @Test("expiry gauges for our certificate and carrier A's, the certificates API, and reloads (admin API, SIGHUP) that keep an established connection and serve the new certificate")
    func certificateExpiryAndReload() async throws {
        try await withLab("tls-expiry-reload", options: try await Self.carrierAOverTLS(probes: true)) { lab in
            let b = lab.block
            let certificates = try lab.certificates
            let carrierA = try await TLSCarrier(lab: lab, name: "carrierA-tls", at: b.carrierA, certificate: "carrier-a")
            _ = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.admin(lab)

            // Our certificate: the gauge is notAfter - now (scripts/tls-certs: 825 days).
            let ourNotAfter = try await OpenSSLTool.notAfter(certificates.appendingPathComponent("sbc.pem"), in: lab.directory)
            let ours = await Self.waitForMetric(lab, "sbc_tls_certificate_expiry_seconds", labels: ["certificate": "zone:platform"])
            let ourValue = try #require(ours.value, "\(ours.exposition)\n\(lab.sbcLog)")
            #expect(abs(ourValue - ourNotAfter.timeIntervalSinceNow) <= 60, "gauge \(ourValue), notAfter \(ourNotAfter)")
            #expect((800 * 86_400.0...830 * 86_400.0).contains(ourValue), "\(ourValue / 86_400) days")

            // Carrier A's, once the probe's handshake has seen it.
            #expect(await carrierA.waitFor(timeout: .seconds(5)) { $0["event"] as? String == "handshake" } != nil, "\(carrierA.logTail)")
            let peerNotAfter = try await OpenSSLTool.notAfter(certificates.appendingPathComponent("carrier-a.pem"), in: lab.directory)
            let peer = await Self.waitForMetric(lab, "sbc_tls_certificate_expiry_seconds",
                                                labels: ["certificate": "peer:carrier-a", "trunk": "carrier-a"])
            let peerValue = try #require(peer.value, "\(peer.exposition)")
            #expect(abs(peerValue - peerNotAfter.timeIntervalSinceNow) <= 60, "gauge \(peerValue), notAfter \(peerNotAfter)")

            let listed = try await admin.get("api/v1/tls/certificates")
            #expect(listed.status == 200, "\(listed.object)")
            let labels = Set(listed.array.compactMap { $0["certificate"] as? String })
            #expect(labels.isSuperset(of: ["zone:platform", "zone:carrier", "peer:carrier-a"]), "\(listed.array)")
            let peerEntry = listed.array.first { $0["certificate"] as? String == "peer:carrier-a" }
            #expect(peerEntry?["trunk"] as? String == "carrier-a" && (peerEntry?["subject"] as? String ?? "").contains("carrier-a.lab"),
                    "\(peerEntry ?? [:])")

            // A platform connection established before the reloads, one call per step.
            let platform = try TLSPlatform(lab: lab, from: b.platform.ip, to: b.sbcPlatformTLS, calls: 3, stepped: true)
            #expect(await platform.waitForCalls(1), "\(platform.progress)\n\(lab.sbcLog)")

            let chain = certificates.appendingPathComponent("sbc-chain.pem")
            let key = certificates.appendingPathComponent("sbc.key")
            let oldSerial = try await OpenSSLTool.field("serial", of: chain, in: lab.directory)
            /// A new SBC certificate (same lab CA, new key and serial) in place of the lab's files.
            func renew(_ name: String) async throws -> String {
                let next = lab.directory.appendingPathComponent(name, isDirectory: true)
                try LabCertificates.copy(certificates, to: next)
                try FileManager.default.removeItem(at: next.appendingPathComponent("sbc.pem"))
                try await LabCertificates.generate(into: next)
                try LabCertificates.replace(key, with: next.appendingPathComponent("sbc.key"))
                try LabCertificates.replace(chain, with: next.appendingPathComponent("sbc-chain.pem"))
                return try String(contentsOf: next.appendingPathComponent("sbc.pem"), encoding: .utf8)
            }
            func servedLeaf() async throws -> String? {
                let result = try await OpenSSLTool.connect(b.sbcPlatformTLS, caFile: certificates.appendingPathComponent("ca.pem"),
                                                           in: lab.directory)
                return result.output.contains("Verify return code: 0 (ok)") ? OpenSSLTool.pemBlocks(result.output).first : nil
            }

            // Reload through the admin API.
            let second = try await renew("tls-renewed")
            let newSerial = try await OpenSSLTool.field("serial", of: chain, in: lab.directory)
            #expect(newSerial != oldSerial)
            let reloaded = try await admin.post("api/v1/tls/reload", ["reason": "renewed certificate"])
            #expect(reloaded.status == 200, "\(reloaded.object)\n\(lab.sbcLog)")
            try platform.proceed()
            #expect(await platform.waitForCalls(2), "the connection from before the reload carries a call\n\(platform.progress)")
            #expect(try await servedLeaf() == OpenSSLTool.pemBlocks(second).first, "a new connection gets the new certificate")

            // A reload that cannot read a file changes nothing.
            let aside = certificates.appendingPathComponent("sbc-chain.pem.aside")
            try FileManager.default.moveItem(at: chain, to: aside)
            let failed = try await admin.post("api/v1/tls/reload", ["reason": "file missing"])
            try FileManager.default.moveItem(at: aside, to: chain)
            #expect(failed.status == 422, "\(failed.object)")
            #expect("\(failed.object)".contains(chain.path), "the error names the file: \(failed.object)")
            #expect(try await servedLeaf() == OpenSSLTool.pemBlocks(second).first, "the previous certificate keeps serving")

            // SIGHUP.
            let third = try await renew("tls-renewed-again")
            let sbc = try #require(lab.sbc)
            sbc.process.send(signal: SIGHUP)
            var served: String?
            let deadline = ContinuousClock.now + .seconds(5)
            repeat {
                served = try await servedLeaf()
                if served == OpenSSLTool.pemBlocks(third).first { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(served == OpenSSLTool.pemBlocks(third).first, "SIGHUP reloads the certificate\n\(lab.sbcLog)")
            try platform.proceed()
            let result = await platform.result()
            #expect(result.allCompleted && result.completed == 3, "the first connection carried all three calls\n\(result)\n\(lab.sbcLog)")
            #expect(sbc.isRunning)
            let audit = try await admin.get("api/v1/audit?limit=1000")
            #expect(audit.array.filter { $0["cause"] as? String == "tls_reload" }.count == 2,
                    "the admin reload and the SIGHUP are audited: \(audit.array.suffix(5))")
        }
    }

    // MARK: 9. check-config

    @Test("sbc check-config: a missing certificate and a key that is not the certificate's are errors naming zones[0].tls and the file; a certificate expiring in 10 days is a warning")
    func checkConfig() async throws {
        try await withLab("tls-check-config", options: try await Self.options()) { lab in
            let certificates = try lab.certificates
            let binary = try Tools.sbcBinary()
            func check() async throws -> ToolResult {
                try await runTool("check-config", binary, ["check-config", lab.configURL.path], in: lab.directory)
            }
            let chain = certificates.appendingPathComponent("sbc-chain.pem")
            let key = certificates.appendingPathComponent("sbc.key")

            let valid = try await check()
            #expect(valid.succeeded && !valid.output.contains("warning"), "\(valid.output)")

            let aside = certificates.appendingPathComponent("sbc-chain.pem.aside")
            try FileManager.default.moveItem(at: chain, to: aside)
            let missing = try await check()
            try FileManager.default.moveItem(at: aside, to: chain)
            #expect(!missing.succeeded, "\(missing.output)")
            #expect(missing.output.contains("zones[0].tls") && missing.output.contains(chain.path), "\(missing.output)")

            try FileManager.default.copyItem(at: key, to: certificates.appendingPathComponent("sbc.key.orig"))
            try LabCertificates.replace(key, with: certificates.appendingPathComponent("platform.key"))
            let mismatched = try await check()
            try LabCertificates.replace(key, with: certificates.appendingPathComponent("sbc.key.orig"))
            #expect(!mismatched.succeeded, "\(mismatched.output)")
            #expect(mismatched.output.contains("zones[0].tls") && mismatched.output.contains("does not belong to the certificate")
                        && mismatched.output.contains(key.path), "\(mismatched.output)")

            let soonKey = lab.directory.appendingPathComponent("soon.key")
            let soonCertificate = lab.directory.appendingPathComponent("soon.pem")
            let generated = try await OpenSSLTool.run([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "10",
                "-subj", "/CN=soon.lab", "-keyout", soonKey.path, "-out", soonCertificate.path,
            ], in: lab.directory)
            #expect(generated.succeeded, "\(generated.output)")
            try LabCertificates.replace(key, with: soonKey)
            try LabCertificates.replace(chain, with: soonCertificate)
            let expiring = try await check()
            #expect(expiring.succeeded, "a certificate near expiry is a warning, not an error\n\(expiring.output)")
            #expect(expiring.output.contains("warning: zones[0].tls") && expiring.output.contains("soon.lab")
                        && expiring.output.contains("expires in"), "\(expiring.output)")
        }
    }
}
