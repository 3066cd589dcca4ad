import Testing
import SBCConfig

/// The `media` section, the zones' media addresses and the trunks' codec policy. Every problem
/// case asserts the exact key path and line.
@Suite("Media configuration")
struct MediaConfigTests {
    /// `TestSupport.minimal` (11 lines) with `media:` at line 12 and `body` from line 13.
    static func yaml(_ body: String) -> String {
        TestSupport.minimal + "\nmedia:\n" + body
    }

    @Test("defaults: on, ports 10000-32767 (5,692 audio calls), 4 s timeout, hold off, 10 s reuse delay, signalled latching")
    func defaults() throws {
        let config = try #require(TestSupport.load(TestSupport.minimal))
        #expect(config.media == MediaSettings())
        #expect(config.media.enabled)
        #expect(config.media.portMin == 10000 && config.media.portMax == 32767)
        #expect(config.media.audioCallCapacity == 5692)
        #expect(config.media.timeout == .seconds(4))
        #expect(config.media.holdTimeout == nil)
        #expect(config.media.portReuseDelay == .seconds(10))
        #expect(config.media.latching == .signalled)
        #expect(config.media.socketLayout == .perPort)
        #expect(config.media.sendBatching == .auto)
        #expect(config.media.workerCount(cores: 2) == 1)
        #expect(config.media.workerCount(cores: 8) == 7)
        #expect(config.media.workerCount(cores: 1) == 1)
        #expect(config.zones[0].effectiveMediaAddress == "127.0.0.1")
        #expect(config.zones[0].effectiveAdvertisedMediaAddress == "127.0.0.1")
        #expect(config.trunks[0].codecs.isEmpty)
    }

    @Test("every key is read; 0 turns a timeout off")
    func values() throws {
        let config = try #require(TestSupport.load(Self.yaml("""
              enabled: true
              port_min: 30000
              port_max: 30999
              workers: 3
              timeout_s: 0
              hold_timeout_s: 120
              port_reuse_delay_s: 1
              latching: any
              socket_layout: lookup
              send_batching: sendmmsg
            """)))
        #expect(config.media == MediaSettings(portMin: 30000, portMax: 30999, workers: 3, timeout: nil,
                                              holdTimeout: .seconds(120), portReuseDelay: .seconds(1), latching: .any,
                                              socketLayout: .lookup, sendBatching: .sendmmsg))
    }

    @Test("socket_layout takes per_port or lookup")
    func socketLayout() throws {
        let perPort = try #require(TestSupport.load(Self.yaml("  socket_layout: per_port\n")))
        #expect(perPort.media.socketLayout == .perPort)
        let lookup = try #require(TestSupport.load(Self.yaml("  socket_layout: lookup\n")))
        #expect(lookup.media.socketLayout == .lookup)
    }

    @Test("send_batching takes auto or sendmmsg")
    func sendBatching() throws {
        let auto = try #require(TestSupport.load(Self.yaml("  send_batching: auto\n")))
        #expect(auto.media.sendBatching == .auto)
        let sendmmsg = try #require(TestSupport.load(Self.yaml("  send_batching: sendmmsg\n")))
        #expect(sendmmsg.media.sendBatching == .sendmmsg)
    }

    @Test("zone media addresses and trunk codecs")
    func zoneAndTrunkKeys() throws {
        let yaml = """
            zones:
              - {name: core, bind: 0.0.0.0, udp_port: 5060, advertised_address: 198.51.100.1,
                 media_address: 10.0.0.7, advertised_media_address: 203.0.113.7}
              - {name: edge, bind: 0.0.0.0, udp_port: 5080, advertised_address: 198.51.100.2, media_address: 10.0.0.8}
            trunks:
              - {name: peer, zone: core, address: 127.0.0.10, codecs: [PCMA, g722, telephone-event]}
            routes:
              - {name: all, trunk: peer}
            """
        let config = try #require(TestSupport.load(yaml))
        #expect(config.zones[0].effectiveMediaAddress == "10.0.0.7")
        #expect(config.zones[0].effectiveAdvertisedMediaAddress == "203.0.113.7")
        #expect(config.zones[1].effectiveAdvertisedMediaAddress == "10.0.0.8")
        #expect(config.trunks[0].codecs == ["PCMA", "g722", "telephone-event"])
    }

    @Test("media problems name the key and the line", arguments: [
        ("  port_min: 40001", "media.port_min", "must be even"),
        ("  port_min: 80", "media.port_min", "must be an integer 1024-65535, got 80"),
        ("  port_max: 10002", "media.port_max", "leaves fewer than 4 ports (10000-10002)"),
        ("  workers: 0", "media.workers", "must be an integer 1-64, got 0"),
        ("  timeout_s: -1", "media.timeout_s", "must be an integer 0-3600 (seconds), got -1"),
        ("  hold_timeout_s: 100000", "media.hold_timeout_s", "must be an integer 0-86400 (seconds)"),
        ("  latching: strict", "media.latching", "must be one of signalled, any, got \"strict\""),
        ("  enabled: yes", "media.enabled", "must be true or false"),
        ("  socket_layout: bpf", "media.socket_layout", "must be one of per_port, lookup, got \"bpf\""),
        ("  send_batching: io_uring", "media.send_batching", "must be one of auto, sendmmsg, got \"io_uring\""),
        ("  send_batching: true", "media.send_batching", "must be one of auto, sendmmsg"),
        ("  port_reuse_delay_s: 0", "media.port_reuse_delay_s", "must be an integer 1-600 (seconds), got 0"),
        ("  timeout: 4", "media.timeout", "unknown key \"timeout\""),
    ])
    func problems(text: String, keyPath: String, message: String) {
        TestSupport.expectSingleProblem(Self.yaml(text), keyPath: keyPath, line: 13, containing: message)
    }

    @Test("a codec name that is no SDP token is refused")
    func badCodec() {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "    address: 127.0.0.10",
                                                            with: "    address: 127.0.0.10\n    codecs: [PCMA, \"G 729\"]")
        TestSupport.expectSingleProblem(yaml, keyPath: "trunks[0].codecs[1]", line: 9,
                                        containing: "must be an SDP codec name")
    }

    @Test("a wildcard bind relays media on the wildcard and advertises the zone's address")
    func wildcardMedia() throws {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "    bind: 127.0.0.1",
                                                            with: "    bind: 0.0.0.0\n    advertised_address: 198.51.100.1")
        let zone = try #require(TestSupport.load(yaml)?.zones.first)
        #expect(zone.effectiveMediaAddress == "0.0.0.0")
        #expect(zone.effectiveAdvertisedMediaAddress == "198.51.100.1")
    }

    @Test("a SIP port inside the media range is refused")
    func sipPortInMediaRange() {
        let yaml = TestSupport.minimal.replacingOccurrences(of: "udp_port: 5060", with: "udp_port: 10010")
        TestSupport.expectSingleProblem(yaml, keyPath: "zones[0].udp_port", line: 4,
                                        containing: "10010 is inside the media port range 10000-32767")
    }
}
