import SIPCore
import Testing
import SBCConfig

/// TLS configuration: zone listeners (`zones[].tls_port`, `zones[].tls`), trunk peers
/// (`trunks[].tls`), the `tls` section and the connection keys of `sip`.
@Suite("TLS configuration")
struct TLSConfigTests {
    /// A platform zone with a TLS listener and a carrier reached over TLS (trunk `a` from line 14).
    static func yaml(zone: String = "", trunk: String = "", section: String = "") -> String {
        """
        zones:
          - name: core
            bind: 127.0.0.1
            udp_port: 5060
            tls_port: 5061
            tls:
              certificate: /etc/sbc/sbc-chain.pem
              key: /etc/sbc/sbc.key
        \(zone)
        trunks:
          - name: a
            zone: core
            address: 127.0.0.11
            transport: tls
        \(trunk)
        routes:
          - name: all
            trunk: a
        \(section)
        """
    }

    @Test("a zone's TLS listener and a TLS trunk with defaults: chain + name, TLS 1.2, no client certificate")
    func defaults() throws {
        let config = try #require(TestSupport.load(Self.yaml()))
        let zone = try #require(config.zones.first)
        #expect(zone.tlsPort == 5061)
        #expect(zone.port(for: .tls) == 5061)
        #expect(zone.tls == ZoneTLSSettings(identity: TLSCertificateFiles(certificate: "/etc/sbc/sbc-chain.pem",
                                                                           key: "/etc/sbc/sbc.key")))
        let trunk = try #require(config.trunk(named: "a"))
        #expect(trunk.transport == .tls)
        #expect(trunk.tls == TrunkTLSSettings())
        #expect(trunk.tls.verify == .chain_name)
        #expect(config.tls == TLSSettings())
        #expect(config.tls.expiryAlertDays == [30, 7, 1])
        #expect(config.sip.keepAliveInterval == .seconds(30))
        #expect(config.sip.maxConnections == 4096 && config.sip.maxConnectionsPerSource == 64)
    }

    @Test("every key is read")
    func values() throws {
        let yaml = Self.yaml(
            zone: """
                  ca: /etc/sbc/clients.pem
                  min_version: "1.3"
                  cipher_suites: TLS_AES_256_GCM_SHA384
            """,
            trunk: """
                tls:
                  verify: chain_pin
                  server_name: sip.carrier-a.example
                  pins: ["n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="]
                  ca: /etc/sbc/carrier-a-ca.pem
                  certificate: /etc/sbc/client.pem
                  key: /etc/sbc/client.key
                  require_client_certificate: true
                  min_version: "1.2"
                  ciphers: ECDHE+AESGCM
            """,
            section: """
            tls:
              handshake_timeout_ms: 2000
              expiry_alert_days: [14, 60, 3]
              expiry_check_interval_s: 600
            sip:
              keepalive_interval_s: 0
              max_connections: 100
              max_connections_per_source: 10
            """)
        let config = try #require(TestSupport.load(yaml))
        let zone = try #require(config.zones.first?.tls)
        #expect(zone.caBundle == "/etc/sbc/clients.pem")
        #expect(zone.protocols == TLSProtocolSettings(minimumVersion: .tls13, cipherSuites: "TLS_AES_256_GCM_SHA384"))
        let trunk = try #require(config.trunk(named: "a")?.tls)
        #expect(trunk == TrunkTLSSettings(
            verify: .chain_pin, serverName: "sip.carrier-a.example", pins: ["n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="],
            caBundle: "/etc/sbc/carrier-a-ca.pem",
            clientIdentity: TLSCertificateFiles(certificate: "/etc/sbc/client.pem", key: "/etc/sbc/client.key"),
            requireClientCertificate: true, protocols: TLSProtocolSettings(minimumVersion: .tls12, ciphers: "ECDHE+AESGCM")))
        #expect(config.tls == TLSSettings(handshakeTimeout: .milliseconds(2000), expiryAlertDays: [60, 14, 3],
                                          expiryCheckInterval: .seconds(600)))
        #expect(config.sip.keepAliveInterval == .zero)
        #expect(config.sip.maxConnections == 100 && config.sip.maxConnectionsPerSource == 10)
    }

    @Test("trunk TLS problems name the key and what is allowed", arguments: [
        ("    tls: {verify: strict}", "trunks[0].tls.verify", "must be one of none, chain_name, chain_pin"),
        ("    tls: {verify: chain_pin}", "trunks[0].tls.pins", "is required with verify: chain_pin"),
        ("    tls: {pins: [abc]}", "trunks[0].tls.pins[0]", "must be a base64 SHA-256 digest"),
        ("    tls: {certificate: /x.pem}", "trunks[0].tls.key", "is required with certificate"),
        ("    tls: {key: /x.key}", "trunks[0].tls.certificate", "is required with key"),
        ("    tls: {min_version: \"1.1\"}", "trunks[0].tls.min_version", "must be one of 1.2, 1.3"),
        ("    tls: {cert: /x.pem}", "trunks[0].tls.cert", "unknown key \"cert\""),
    ])
    func trunkProblems(line: String, keyPath: String, message: String) {
        let problems = TestSupport.problems(Self.yaml(trunk: line))
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.keyPath == keyPath)
        #expect(problems.first?.message.contains(message) == true, "\(problems)")
    }

    @Test("a TLS port needs a certificate, and a certificate needs a port")
    func zonePairing() {
        let noCertificate = TestSupport.problems("""
            zones:
              - {name: core, bind: 127.0.0.1, tls_port: 5061}
            trunks:
              - {name: a, zone: core, address: 127.0.0.11, transport: tls}
            routes:
              - {name: all, trunk: a}
            """)
        #expect(noCertificate.map(\.keyPath) == ["zones[0].tls"])
        let noPort = TestSupport.problems("""
            zones:
              - {name: core, bind: 127.0.0.1, udp_port: 5060, tls: {certificate: /c.pem, key: /k.pem}}
            trunks:
              - {name: a, zone: core, address: 127.0.0.11}
            routes:
              - {name: all, trunk: a}
            """)
        #expect(noPort.map(\.keyPath) == ["zones[0].tls_port"])
    }

    @Test("a TLS trunk in a zone without a TLS listener, and TCP and TLS on one port, are refused")
    func crossChecks() {
        let noListener = TestSupport.problems("""
            zones:
              - {name: core, bind: 127.0.0.1, udp_port: 5060}
            trunks:
              - {name: a, zone: core, address: 127.0.0.11, transport: tls}
            routes:
              - {name: all, trunk: a}
            """)
        #expect(noListener.map(\.keyPath) == ["trunks[0].transport"])
        #expect(noListener.first?.message.contains("has no tls_port") == true)
        let samePort = TestSupport.problems("""
            zones:
              - {name: core, bind: 127.0.0.1, tcp_port: 5061, tls_port: 5061, tls: {certificate: /c.pem, key: /k.pem}}
            trunks:
              - {name: a, zone: core, address: 127.0.0.11}
            routes:
              - {name: all, trunk: a}
            """)
        #expect(samePort.map(\.keyPath).contains("zones[0].tls_port"), "\(samePort)")
    }

    @Test("expiry thresholds must be 1-365 days")
    func expiryDays() {
        let problems = TestSupport.problems(Self.yaml(section: "tls: {expiry_alert_days: [30, 0]}"))
        #expect(problems.map(\.keyPath) == ["tls.expiry_alert_days[1]"])
    }
}
