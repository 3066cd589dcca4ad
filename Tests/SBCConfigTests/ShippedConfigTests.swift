import Testing
import SBCConfig

/// The configuration files shipped in `conf/` load cleanly and mean what their comments say.
///
/// Why test the real files: `conf/lab.yaml` is the contract of the loopback lab (shared/LAB.md)
/// that the demo, the integration tests and the benchmarks start the SBC with, and
/// `conf/sbc.example.yaml` is what operators copy. A config-format change that breaks either must
/// fail here, in the config target's own tests, rather than in a lab run.
@Suite("Shipped configuration files")
struct ShippedConfigTests {
    @Test("conf/lab.yaml loads and describes the loopback lab")
    func labConfiguration() throws {
        let config = try ConfigLoader.load(path: TestSupport.path("conf/lab.yaml"))

        #expect(config.node == NodeSettings(name: "lab-sbc", stateDirectory: "./lab-state"))
        #expect(config.sip == SIPSettings())  // the lab uses exactly the documented defaults
        #expect(config.sip.transactionTimeout == .seconds(32))

        // LAB.md: TLS on 5061 (platform side) and 5081 (carrier side), lab certificates generated into
        // ./lab-tls by scripts/tls-certs.
        let labTLS = ZoneTLSSettings(identity: TLSCertificateFiles(certificate: "./lab-tls/sbc-chain.pem",
                                                                   key: "./lab-tls/sbc.key"),
                                     caBundle: "./lab-tls/ca.pem")
        #expect(config.zones == [
            ZoneSettings(name: "platform", bind: "127.0.0.1", udpPort: 5060, tcpPort: 5060, tlsPort: 5061, tls: labTLS,
                         mediaAddress: "127.0.0.1"),
            ZoneSettings(name: "carrier", bind: "127.0.0.1", udpPort: 5080, tcpPort: 5080, tlsPort: 5081, tls: labTLS,
                         mediaAddress: "127.0.0.1"),
        ])
        #expect(config.tls == TLSSettings(expiryCheckInterval: .seconds(60)))
        // LAB.md: relay ports 127.0.0.1:40000-40999, media timeout 4 s.
        #expect(config.media == MediaSettings(portMin: 40000, portMax: 40999, timeout: .seconds(4), holdTimeout: nil,
                                              portReuseDelay: .seconds(10), latching: .signalled))
        // LAB.md: OPTIONS every 1 s, down after 3 failures, up after 2 successes, fail-back after
        // 10 s of sustained health; the platform is not probed.
        let labHealth = TrunkHealthSettings(probe: true, probeInterval: .seconds(1), probeTimeout: .milliseconds(800),
                                            aliveClasses: [2], downAfter: 3, upAfter: 2, recoveryHold: .seconds(10))
        // LAB.md: the platform accepts SRTP or plain RTP, the carriers plain RTP (the default).
        var platform = TrunkSettings(name: "platform", zone: "platform", address: "127.0.0.10",
                                     health: TrunkHealthSettings(probe: false))
        platform.srtp = MediaSecuritySettings(policy: .optional)
        // LAB.md: no client certificate required from the lab's platform.
        platform.tls = TrunkTLSSettings(verify: .chain_name, serverName: "platform.lab", caBundle: "./lab-tls/ca.pem")
        // LAB.md: carrier A has lab credentials for digest challenges (docs/AUTH.md).
        var carrierA = TrunkSettings(name: "carrier-a", zone: "carrier", address: "127.0.0.11", passiveFailureThreshold: 0,
                                     health: labHealth)
        carrierA.auth = TrunkAuthSettings(username: "lab-user", password: .inline("lab-secret"))
        // LAB.md: carrier A takes DTMF as RFC 4733 events, carrier B as SIP INFO.
        carrierA.dtmf = TrunkDTMFSettings(mode: .rfc4733)
        var labCarrierB = TrunkSettings(name: "carrier-b", zone: "carrier", address: "127.0.0.12", profile: "carrier-b",
                                        passiveFailureThreshold: 0, health: labHealth)
        labCarrierB.dtmf = TrunkDTMFSettings(mode: .info)
        // DID validation against the lab's SIPp carrier B, which answers any number (docs/VALIDATION.md).
        labCarrierB.validation = TrunkValidationSettings(dids: ["+15551230000", "+15551230001", "+15551230002"],
                                                         caller: "+15550001111", timeout: .seconds(5),
                                                         reachable: .answered, pace: .milliseconds(500))
        #expect(config.trunks == [
            platform,
            carrierA,
            labCarrierB,
        ])
        #expect(labHealth.probation == .seconds(60))
        // LAB.md: active/standby, failover on 503, 408/timeout and transport errors; automatic fail-back.
        var labGroup = TrunkGroupSettings(name: "pstn-out", strategy: .priority, members: ["carrier-a", "carrier-b"],
                                          failoverOn: FailoverTriggers(codes: [503, 408], onTimeout: true, onTransportError: true),
                                          failBack: .auto,
                                          // LAB.md: every mid-call failover trigger on for the critical route.
                                          midCallFailover: MidCallFailoverSettings(keepaliveInterval: .seconds(10)))
        // LAB.md: the carriers take DTMF differently on purpose (the SBC converts per leg).
        labGroup.allowedDifferences = [.dtmf]
        // The lab has no cooling, so a rollback can follow an activation at once.
        labGroup.activation = GroupActivationSettings(cooling: .zero)
        #expect(config.trunkGroups == [labGroup])
        // LAB.md: admin API on http://127.0.0.1:8080, token "lab-admin-token" with every scope, given
        // by its SHA-256 (printf %s lab-admin-token | sha256sum).
        #expect(config.admin == AdminSettings(enabled: true, listenAddress: "127.0.0.1:8080", tokens: [
            AdminTokenSettings(name: "lab",
                               sha256: "7005ca487338ea85c2a92aed553803f8cce2b39b4ac5b396e257c195ce140f29",
                               scopes: ["*"]),
        ]))
        #expect(config.admin.listenEndpoint?.host == "127.0.0.1")
        #expect(config.admin.listenEndpoint?.port == 8080)
        #expect(config.admin.token(named: "lab")?.grants("trunks:write") == true)
        #expect(config.alerts == AlertSettings())
        #expect(config.trunkGroups[0].failoverOn.matches(status: 408))
        #expect(!config.trunkGroups[0].failoverOn.matches(status: 486))
        // LAB.md: Request-URI users starting with +1999 are critical lines.
        #expect(config.routes == [
            RouteSettings(name: "critical-lines", fromTrunk: "platform", requestUserPrefix: "+1999", critical: true,
                          trunkGroup: "pstn-out"),
            RouteSettings(name: "platform-to-pstn", fromTrunk: "platform", trunkGroup: "pstn-out"),
            RouteSettings(name: "carriers-to-platform", fromZone: "carrier", trunk: "platform"),
        ])
        #expect(config.security.unknownSource == .reject)
        #expect(config.security.unknownSourceStatus == 403)
        #expect(config.shutdown.drain == .seconds(30))
        #expect(config.logging == LoggingSettings(level: .info, format: .json))

        #expect(config.routes.map(\.target) == [.trunkGroup("pstn-out"), .trunkGroup("pstn-out"), .trunk("platform")])
        #expect(config.routing.unroutableStatus == 404)
        #expect(config.profiles == [
            ProfileSettings(name: "carrier-b",
                            headerPolicy: .init(mode: .denylist, headers: ["X-Internal-*"]),
                            headerOperations: [.set(header: "X-Provider", value: "secondary")]),
        ])
        let carrierB = try #require(config.trunk(named: "carrier-b"))
        #expect(config.outboundProfile(route: config.routes[0], trunk: carrierB)?.name == "carrier-b")
        #expect(config.trunk(named: "carrier-a")?.profile == nil)
        #expect(config.trunks(for: .trunkGroup("pstn-out")).map(\.address) == ["127.0.0.11", "127.0.0.12"])
        #expect(config.summary == "node \"lab-sbc\": 2 zones, 3 trunks, 1 trunk group, 3 routes, 1 profile")
    }

    @Test("conf/cluster's two nodes (LAB.md, scale-out lab): own addresses and names, one shared PostgreSQL",
          arguments: [("node1", "127.0.0.21"), ("node2", "127.0.0.22")])
    func clusterNodes(node: String, address: String) throws {
        let loaded = try ConfigLoader.loadReporting(path: TestSupport.path("conf/cluster/\(node).yaml"))
        #expect(loaded.warnings.filter { !$0.message.contains("password is written") }.isEmpty)
        let config = loaded.configuration
        #expect(config.node.name == node)
        #expect(config.zones.allSatisfy { $0.bind == address && $0.mediaAddress == address })
        #expect(config.admin.listenAddress == "\(address):8080")
        #expect(config.store.backend == .postgres(PostgresStoreSettings(
            host: "127.0.0.1", port: 5432, user: "sbc", database: "sbc", password: .environment("SBC_STORE_PASSWORD"))))
        #expect(config.trunks.contains { $0.address == "127.0.0.1" }, "the platform's calls arrive from Kamailio")
    }

    @Test("conf/sbc.example.yaml loads with its production values")
    func exampleConfiguration() throws {
        let config = try ConfigLoader.load(path: TestSupport.path("conf/sbc.example.yaml"))

        #expect(config.node == NodeSettings(name: "sbc-fra-1", stateDirectory: "/var/lib/sbc"))
        #expect(config.sip == SIPSettings(t1: .milliseconds(500), t2: .seconds(4), t4: .seconds(5),
                                          maxMessageBytes: 65535, maxForwards: 70, unknownMethods: .reject,
                                          tcpIdleTimeout: .seconds(600)))
        #expect(config.zones.map(\.name) == ["platform", "carrier"])
        #expect(config.zone(named: "carrier")?.advertisedAddress == "203.0.113.10")
        #expect(config.zone(named: "carrier")?.effectiveAdvertisedAddress == "203.0.113.10")
        #expect(config.zone(named: "platform")?.effectiveAdvertisedAddress == "10.20.0.5")

        var platform = TrunkSettings(
            name: "platform", zone: "platform", address: "10.20.1.10", port: 5061, transport: .tls,
            callIDPolicy: .preserve, inboundProfile: "from-platform", health: TrunkHealthSettings(probe: false))
        platform.srtp = MediaSecuritySettings(policy: .optional)
        platform.dtmf = TrunkDTMFSettings(mode: .rfc4733, infoType: .dtmfRelay)
        // Mutual TLS with the platform, checked by chain and name.
        platform.tls = TrunkTLSSettings(
            verify: .chain_name, serverName: "platform.example.com", caBundle: "/etc/sbc/tls/platform-ca.pem",
            clientIdentity: TLSCertificateFiles(certificate: "/etc/sbc/tls/client.pem", key: "/etc/sbc/tls/client.key"),
            requireClientCertificate: true)
        #expect(config.zone(named: "platform")?.tlsPort == 5061)
        #expect(config.tls == TLSSettings())
        #expect(config.trunk(named: "platform") == platform)
        var carrierB = TrunkSettings(name: "carrier-b", zone: "carrier", address: "192.0.2.30", port: 5080,
                                     transport: .udp, callIDPolicy: .new, profile: "carrier-b", maxCalls: 200)
        carrierB.codecs = ["PCMA", "PCMU", "telephone-event"]
        carrierB.sessionTimer = SessionTimerSettings(enabled: true)
        carrierB.validation = TrunkValidationSettings(dids: ["+4969123450", "+4969123451"], caller: "+4969123400")
        #expect(config.trunk(named: "carrier-b") == carrierB)
        #expect(config.zone(named: "carrier")?.effectiveMediaAddress == "10.30.0.6")
        #expect(config.zone(named: "carrier")?.effectiveAdvertisedMediaAddress == "203.0.113.11")
        #expect(config.zone(named: "platform")?.effectiveAdvertisedMediaAddress == "10.20.0.5")
        #expect(config.media == MediaSettings(portMin: 10000, portMax: 32767, workers: 3, timeout: .seconds(4),
                                              holdTimeout: .seconds(600), portReuseDelay: .seconds(10)))
        // Group members agree on codecs (no check-config warning): carrier-a lists carrier-b's.
        var carrierA = TrunkSettings(name: "carrier-a", zone: "carrier", address: "198.51.100.20", callIDPolicy: .new,
                                     profile: "carrier-a", health: TrunkHealthSettings(aliveCodes: [404, 405]))
        carrierA.codecs = carrierB.codecs
        #expect(config.trunk(named: "carrier-a") == carrierA)
        #expect(config.trunk(named: "carrier-a")?.health.isAlive(status: 405) == true)
        #expect(config.trunk(named: "carrier-b")?.health == TrunkHealthSettings())
        #expect(config.trunk(named: "platform")?.inboundProfile == "from-platform")
        var exampleGroup = TrunkGroupSettings(
            name: "pstn-out", members: ["carrier-a", "carrier-b"],
            failoverOn: FailoverTriggers(codes: [503, 408], onTimeout: true, onTransportError: true),
            failBack: .sticky)
        exampleGroup.activation = GroupActivationSettings(cooling: .seconds(90), drainThreshold: 20)
        #expect(config.trunkGroup(named: "pstn-out") == exampleGroup)
        #expect(config.routing.unroutableStatus == 404)
        #expect(config.profiles.map(\.name) == ["carrier-a", "carrier-a-billing", "carrier-b", "from-platform"])
        #expect(config.profile(named: "carrier-b")?.privacy == "id")
        let billing = try #require(config.route(named: "billing-skill"))
        #expect(billing.header == HeaderMatch(name: "X-Skill", equals: "billing"))
        #expect(billing.requestUserRegex == "^\\+44\\d{9,10}$")
        #expect(config.outboundProfile(route: billing, trunk: try #require(config.trunk(named: "carrier-a")))?.name
            == "carrier-a-billing")
        #expect(config.route(named: "critical-lines")?.critical == true)
        #expect(config.trunks(inZone: "carrier").map(\.name) == ["carrier-a", "carrier-b"])
        #expect(config.trunkGroup(named: "pstn-out")?.members == ["carrier-a", "carrier-b"])

        #expect(config.routes.map(\.name) == ["critical-lines", "billing-skill", "uk-via-carrier-b", "platform-to-pstn",
                                             "carriers-to-platform"])
        #expect(config.route(named: "uk-via-carrier-b")?.requestUserPrefix == "+44")
        #expect(config.routes.allSatisfy { !$0.isDefault })

        #expect(config.security.unknownSource == .drop)
        #expect(config.security.unknownSourceStatus == nil)
        #expect(config.security.rateLimit == RateLimitSettings())
        #expect(config.overload == OverloadSettings(maxCallsPerSecond: 250))
        #expect(config.sip.messageDeadline == .seconds(10))
        #expect(config.shutdown.drain == .seconds(300))
        #expect(config.logging == LoggingSettings(level: .info, format: .json))
        #expect(config.admin == AdminSettings(enabled: true, listenAddress: "127.0.0.1:8080", tokens: [
            AdminTokenSettings(name: "noc", environment: "SBC_ADMIN_TOKEN", scopes: ["*"]),
            AdminTokenSettings(name: "prometheus",
                               sha256: "2b4a1e5a0f8d9c7e6b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c",
                               scopes: ["metrics:read"]),
        ]))
        #expect(config.alerts == AlertSettings(webhookURL: "https://alerts.example.com/hooks/sbc",
                                               timeout: .milliseconds(2000), maxAttempts: 5,
                                               backoff: .milliseconds(500)))
    }

    @Test("a missing file is one problem naming the file and the cause")
    func missingFile() {
        let path = TestSupport.path("conf/does-not-exist.yaml")
        #expect {
            try ConfigLoader.load(path: path)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.problems == [ConfigProblem(source: path, keyPath: "",
                                                    message: "cannot open: No such file or directory")]
                && error.description == "\(path): cannot open: No such file or directory"
        }
    }

    @Test("a directory is refused with the reason")
    func directoryInsteadOfFile() {
        let path = TestSupport.path("conf")
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("a directory loaded")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.message == "cannot read: Is a directory")
        }
    }
}
