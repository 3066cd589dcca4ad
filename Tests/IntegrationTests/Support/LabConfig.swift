// A private loopback block per test, and the SBC config (the conf/lab.yaml format) for it.
import Foundation

/// Hands out distinct 127.0.N.0/24 blocks, N = base + index (base 100 unless SBC_TEST_BLOCK_BASE),
/// so tests never collide with each other nor with the fixed lab on 127.0.0.x.
final class BlockAllocator: @unchecked Sendable {
    static let shared = BlockAllocator()
    private let lock = NSLock()
    private var next = 0

    func allocate() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let base = ProcessInfo.processInfo.environment["SBC_TEST_BLOCK_BASE"].flatMap(Int.init) ?? 100
        let n = base + next % max(1, 250 - base)
        next += 1
        return n
    }
}

/// The parties of one test: the SBC on .1, platform .10, carrier A .11, carrier B .12, a stranger .99.
struct LabBlock: Sendable {
    let n: Int
    let sbcPlatform: Endpoint
    let sbcCarrier: Endpoint
    /// The zones' TLS listeners (`tls_port`), used when the lab's options enable TLS.
    let sbcPlatformTLS: Endpoint
    let sbcCarrierTLS: Endpoint
    let platform: Endpoint
    let carrierA: Endpoint
    let carrierB: Endpoint
    /// Where the SBC's admin API listens when enabled.
    let admin: Endpoint
    var strangerIP: String { "127.0.\(n).99" }
    var sbcIP: String { sbcPlatform.ip }

    static func allocate() throws -> LabBlock {
        let n = BlockAllocator.shared.allocate()
        let sbcIP = "127.0.\(n).1"
        let p1 = try Ports.free(on: sbcIP)
        let p2 = try Ports.free(on: sbcIP, avoiding: [p1])
        let p3 = try Ports.free(on: sbcIP, avoiding: [p1, p2])
        let p4 = try Ports.free(on: sbcIP, avoiding: [p1, p2, p3])
        let p5 = try Ports.free(on: sbcIP, avoiding: [p1, p2, p3, p4])
        return LabBlock(
            n: n,
            sbcPlatform: Endpoint(ip: sbcIP, port: p1),
            sbcCarrier: Endpoint(ip: sbcIP, port: p2),
            sbcPlatformTLS: Endpoint(ip: sbcIP, port: p4),
            sbcCarrierTLS: Endpoint(ip: sbcIP, port: p5),
            platform: Endpoint(ip: "127.0.\(n).10", port: try Ports.free(on: "127.0.\(n).10")),
            carrierA: Endpoint(ip: "127.0.\(n).11", port: try Ports.free(on: "127.0.\(n).11")),
            carrierB: Endpoint(ip: "127.0.\(n).12", port: try Ports.free(on: "127.0.\(n).12")),
            admin: Endpoint(ip: sbcIP, port: p3))
    }
}

/// The knobs tests turn; everything else mirrors conf/lab.yaml.
struct LabOptions: Sendable {
    enum CallIDMode: String, Sendable { case preserve, new }
    var callID: CallIDMode = .preserve
    var unknownSource = "reject"
    var drainSeconds = 2
    var maxMessageBytes = 65535
    var logLevel = "info"
    /// Failover triggers of the `pstn-out` group, as YAML.
    var failoverOn = "[503, 408, timeout, transport]"
    var carrierATransport = "udp"
    var firstProvisionalMs = 2000
    /// Gives carrier B an outbound header profile (see `profileYAML`).
    var carrierBProfile = false
    /// OPTIONS probes on the carriers (off by default: a silent test carrier would go down).
    var probes = false
    var recoveryHoldSeconds = 3
    var failBack = "auto"
    /// Admin API on the block's admin endpoint (off by default).
    var admin = false
    /// `media.timeout_s` (the lab's 4 s unless a test needs it shorter).
    var mediaTimeoutSeconds = 4
    /// `media.socket_layout` (`per_port`, the default, or `lookup`: docs/MEDIA.md).
    var mediaSocketLayout = "per_port"
    /// Carrier A's `codecs` policy (none by default).
    var carrierACodecs: [String] = []
    /// Carrier A's `auth`, `register` and `health` mappings as flow YAML (docs/AUTH.md); nil
    /// leaves `auth`/`register` out and `health` as `healthYAML`.
    var carrierAAuth: String?
    var carrierARegister: String?
    var carrierAHealth: String?
    /// Carrier B's `health` mapping as flow YAML; nil: `healthYAML`.
    var carrierBHealth: String?
    /// Carrier A's 100rel, early-media and session-timer keys as YAML lines (`"100rel: required"`,
    /// `"session_timer: {enabled: true, session_expires_s: 4}"`, docs/CONFIG.md); none by default.
    var carrierAInterworking: [String] = []
    /// Extra YAML lines of carrier B's and the platform's trunk (`"dtmf: info"`); none by default.
    var carrierBInterworking: [String] = []
    var platformInterworking: [String] = []
    /// Adds the lab's `critical-lines` route (conf/lab.yaml): Request-URI users starting with
    /// `+1999` go to `pstn-out` as critical lines (`critical: true`). Off by default.
    var criticalRoute = false
    /// Extra keys of the `pstn-out` group, one YAML line each (e.g. `overflow: announcements`).
    var groupExtra: [String] = []
    /// Extra `trunks` entries, as YAML list items indented like the others; `{n}` becomes the
    /// block number (an extra peer at `127.0.{n}.13`, say).
    var extraTrunks = ""
    /// The `pstn-out` group's `mid_call_failover` mapping as flow YAML; nil leaves the key out
    /// (the group's defaults). See `MidCallFailoverYAML`.
    var midCallFailover: String?
    /// The platform trunk's `srtp` mapping as flow YAML (e.g. `{policy: optional}`, see
    /// docs/CONFIG.md); nil leaves the key out (plain RTP only, the config's default).
    var platformSRTP: String?
    /// TLS listeners on both zones and TLS trunk settings (see `LabTLSOptions`); nil: no TLS.
    var tls: LabTLSOptions?
    /// Extra keys of the `sip` section, one YAML line each (e.g. `max_connections: 3000`).
    var sipExtra: [String] = []
    /// Extra keys of the `security` section, one YAML line each (e.g. `server_header: ""`).
    var securityExtra: [String] = []

    /// The lab's critical route and the group's `mid_call_failover` block with every trigger on
    /// (keepalive off unless asked: the test peers answer in-dialog OPTIONS only with `-aa`).
    static func midCall(_ settings: MidCallFailoverYAML = MidCallFailoverYAML()) -> LabOptions {
        var options = LabOptions()
        options.criticalRoute = true
        options.midCallFailover = settings.yaml
        return options
    }
    /// Relay ports: below the ephemeral range, so they never meet the SIP ports tests pick.
    static let mediaPorts = 20000...20999

    /// The carriers' `health:` mapping: 1 s probes, down after 3, up after 2, a short hold.
    var healthYAML: String {
        probes ? "{probe_interval_s: 1, probe_timeout_ms: 500, down_after: 3, up_after: 2, recovery_hold_s: \(recoveryHoldSeconds)}"
            : "{probe: false}"
    }
}

/// The keys of `trunk_groups[].mid_call_failover` (docs/CONFIG.md), with the lab's values except
/// keepalive (off here).
struct MidCallFailoverYAML: Sendable {
    var onReinviteFailure = true
    var reinviteTimeoutMs = 8000
    var onMediaTimeout = true
    var onTransportLoss = true
    var icmpErrors = 3
    var keepaliveIntervalSeconds = 0
    var keepaliveFailures = 2
    var maxMidCallFailovers = 2
    var maxRate = 0

    var yaml: String {
        "{on_reinvite_failure: \(onReinviteFailure), reinvite_timeout_ms: \(reinviteTimeoutMs), "
            + "on_media_timeout: \(onMediaTimeout), on_transport_loss: \(onTransportLoss), icmp_errors: \(icmpErrors), "
            + "keepalive_interval_s: \(keepaliveIntervalSeconds), keepalive_failures: \(keepaliveFailures), "
            + "max_mid_call_failovers: \(maxMidCallFailovers), max_rate: \(maxRate)}"
    }
}

enum LabConfig {
    /// The admin token of the tests (its SHA-256 is in the generated config).
    static let adminToken = "itest-admin-token"
    static let adminTokenSHA256 = "06cefed1e9d7c591814d8b77354e48c8ae842b73873ed62ac92eeab11f04e510"

    /// Carrier B's profile: strip internal headers, tag the provider, national numbers, a PAI.
    static let profileYAML = """
        profiles:
          - name: carrier-b
            header_policy: {mode: denylist, headers: ["X-Internal-*"]}
            headers:
              - {set: X-Provider, value: secondary}
              - {add: X-Trace, value: "${call.id}"}
            numbers:
              request_uri: {strip_prefix: "+"}
            p_asserted_identity: "<sip:${from.user}@carrier-b.example>"
            privacy: id
        """

    /// conf/lab.yaml's `critical-lines` route, placed before the default route.
    static let criticalRouteYAML = """

          - name: critical-lines
            from_trunk: platform
            request_user_prefix: "+1999"
            critical: true
            trunk_group: pstn-out
        """

    static func yaml(block b: LabBlock, options o: LabOptions, stateDir: URL) -> String {
        """
        # Generated by the SwiftSBC integration tests: loopback block 127.0.\(b.n).0/24.
        node:
          name: itest-sbc-\(b.n)
          state_dir: \(stateDir.path)

        sip:
          t1_ms: 500
          t2_ms: 4000
          t4_ms: 5000
          max_message_bytes: \(o.maxMessageBytes)
          max_forwards: 70
          unknown_methods: reject
          tcp_idle_timeout_s: 300\(o.sipExtra.map { "\n  \($0)" }.joined())

        zones:
          - name: platform
            bind: \(b.sbcPlatform.ip)
            udp_port: \(b.sbcPlatform.port)
            tcp_port: \(b.sbcPlatform.port)\(o.tls.map { $0.zoneYAML(port: b.sbcPlatformTLS.port, minVersion: $0.platformMinVersion) } ?? "")
          - name: carrier
            bind: \(b.sbcCarrier.ip)
            udp_port: \(b.sbcCarrier.port)
            tcp_port: \(b.sbcCarrier.port)\(o.tls.map { $0.zoneYAML(port: b.sbcCarrierTLS.port, minVersion: $0.carrierMinVersion) } ?? "")

        trunks:
          - name: platform
            zone: platform
            address: \(b.platform.ip)
            port: \(b.platform.port)
            transport: udp
            call_id: \(o.callID.rawValue)
            health: {probe: false}\(o.platformInterworking.map { "\n    \($0)" }.joined())\(o.platformSRTP.map { "\n    srtp: \($0)" } ?? "")\(o.tls?.trunkYAML(o.tls?.platformTrunk) ?? "")
          - name: carrier-a
            zone: carrier
            address: \(b.carrierA.ip)
            port: \(b.carrierA.port)
            transport: \(o.tls?.carrierA == nil ? o.carrierATransport : "tls")\(o.tls?.trunkYAML(o.tls?.carrierA) ?? "")
            call_id: \(o.callID.rawValue)
            first_provisional_timeout_ms: \(o.firstProvisionalMs)
            health: \(o.carrierAHealth ?? o.healthYAML)\(o.carrierACodecs.isEmpty ? "" : "\n    codecs: [\(o.carrierACodecs.joined(separator: ", "))]")\(o.carrierAAuth.map { "\n    auth: \($0)" } ?? "")\(o.carrierARegister.map { "\n    register: \($0)" } ?? "")\(o.carrierAInterworking.map { "\n    \($0)" }.joined())
          - name: carrier-b
            zone: carrier
            address: \(b.carrierB.ip)
            port: \(b.carrierB.port)
            transport: udp
            call_id: \(o.callID.rawValue)\(o.carrierBProfile ? "\n    profile: carrier-b" : "")
            health: \(o.carrierBHealth ?? o.healthYAML)\(o.carrierBInterworking.map { "\n    \($0)" }.joined())\(o.extraTrunks.replacingOccurrences(of: "{n}", with: "\(b.n)"))

        trunk_groups:
          - name: pstn-out
            strategy: priority
            members: [carrier-a, carrier-b]
            failover_on: \(o.failoverOn)
            fail_back: \(o.failBack)\(o.midCallFailover.map { "\n    mid_call_failover: \($0)" } ?? "")\(o.groupExtra.map { "\n    \($0)" }.joined())

        \(o.tls?.sectionYAML ?? "")
        \(o.carrierBProfile ? profileYAML : "")
        routes:\(o.criticalRoute ? criticalRouteYAML : "")
          - name: platform-to-pstn
            from_trunk: platform
            trunk_group: pstn-out
          - name: carriers-to-platform
            from_zone: carrier
            trunk: platform

        \(!o.admin ? "admin: {enabled: false}" : """
        admin:
          listen: \(b.admin.ip):\(b.admin.port)
          tokens:
            - {name: itest, sha256: \(adminTokenSHA256), scopes: ["*"]}
        """)

        security:
          unknown_source: \(o.unknownSource)\(o.securityExtra.map { "\n  \($0)" }.joined())

        shutdown:
          drain_s: \(o.drainSeconds)

        media:
          port_min: \(LabOptions.mediaPorts.lowerBound)
          port_max: \(LabOptions.mediaPorts.upperBound)
          workers: 1
          timeout_s: \(o.mediaTimeoutSeconds)
          port_reuse_delay_s: 1
          socket_layout: \(o.mediaSocketLayout)

        logging:
          level: \(o.logLevel)
          format: json

        """
    }
}
