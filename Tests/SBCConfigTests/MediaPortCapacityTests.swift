import Testing
import SBCConfig

/// The media port capacity lint (`sbc check-config` warning, MediaPortCapacity): the relay's port
/// range against the trunks' `max_calls` and the ports `overload.max_cps` keeps cooling.
@Suite("Media port capacity warning")
struct MediaPortCapacityTests {
    /// Two trunks with `a` and `b` as their `max_calls`, then `extra` sections. Line 11 is the
    /// first line of `extra`.
    static func yaml(a: Int = 0, b: Int = 0, _ extra: String = "") -> String {
        """
        zones:
          - {name: core, bind: 127.0.0.1, udp_port: 5060}
        trunks:
          - {name: carrier-a, zone: core, address: 127.0.0.11, max_calls: \(a)}
          - {name: carrier-b, zone: core, address: 127.0.0.12, max_calls: \(b)}
        trunk_groups:
          - {name: out, members: [carrier-a, carrier-b]}
        routes:
          - {name: all, trunk_group: out}


        """ + extra
    }

    static func warnings(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigWarning] {
        do {
            return try ConfigLoader.parseReporting(yaml: yaml, source: "test.yaml").warnings
        } catch {
            Issue.record("expected a valid configuration: \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    @Test("the defaults carry 5,692 calls: no warning without limits, nor at exactly the capacity")
    func defaultsAreQuiet() {
        #expect(Self.warnings(TestSupport.minimal).isEmpty)
        #expect(Self.warnings(Self.yaml()).isEmpty, "unlimited trunks add nothing")
        #expect(Self.warnings(Self.yaml(a: 5000, b: 692)).isEmpty, "5,692 calls fit the default range")
        #expect(Self.warnings(Self.yaml(a: 250, "media: {port_min: 40000, port_max: 40999}")).isEmpty,
                "250 calls fit 1,000 ports")
    }

    @Test("the lab and the example configuration are warning-free", arguments: ["conf/lab.yaml", "conf/sbc.example.yaml"])
    func shippedFiles(file: String) throws {
        let loaded = try ConfigLoader.loadReporting(path: TestSupport.path(file))
        #expect(loaded.warnings.isEmpty, "\(file): \(loaded.warnings.map(\.description))")
    }

    @Test("trunks' max_calls beyond the range: the warning names the keys, the numbers and a range that fits")
    func trunkLimits() throws {
        let found = Self.warnings(Self.yaml(a: 200, b: 100, """
            media:
              port_min: 40000
              port_max: 40999
            """))
        let warning = try #require(found.first)
        #expect(found.count == 1)
        #expect(warning.keyPath == "media.port_max" && warning.line == 13)
        for part in ["media.port_min-port_max 40000-40999 (1000 ports) carries 250 audio calls",
                     "the trunks' max_calls add up to 300 (carrier-a 200, carrier-b 100)",
                     "300 calls need 1200 ports", "e.g. 40000-41199", "net.ipv4.ip_local_port_range",
                     "lower trunks[].max_calls", "503 (media ports exhausted)"] {
            #expect(warning.message.contains(part), "'\(part)' in: \(warning.message)")
        }
        #expect(!warning.message.contains("max_cps"), "no rate in the file: \(warning.message)")
        #expect(warning.description.hasPrefix("test.yaml:13:"), "located like a problem: \(warning.description)")
    }

    @Test("max_cps times the reuse delay: ended calls' ports cooling count as calls")
    func coolingPorts() throws {
        let found = Self.warnings(Self.yaml(a: 100, """
            overload: {max_cps: 100}
            media: {port_min: 40000, port_max: 43999, port_reuse_delay_s: 10}
            """))
        let warning = try #require(found.first)
        #expect(warning.keyPath == "media.port_max" && warning.line == 12)
        for part in ["carries 1000 audio calls", "the trunks' max_calls add up to 100 (carrier-a 100)",
                     "overload.max_cps 100 x media.port_reuse_delay_s 10 keeps 1000 ended calls' ports cooling",
                     "1100 calls need 4400 ports", "lower trunks[].max_calls, overload.max_cps or media.port_reuse_delay_s"] {
            #expect(warning.message.contains(part), "'\(part)' in: \(warning.message)")
        }
        // A shorter delay is one of the remedies the warning names.
        #expect(Self.warnings(Self.yaml(a: 100, """
            overload: {max_cps: 100}
            media: {port_min: 40000, port_max: 43999, port_reuse_delay_s: 9}
            """)).isEmpty)
    }

    @Test("the rate alone, on the default range: the warning points at the media section or the root")
    func rateAloneOnDefaults() throws {
        let atRoot = try #require(Self.warnings(Self.yaml("overload: {max_cps: 600}\n")).first)
        #expect(atRoot.keyPath == "media")
        #expect(atRoot.message.contains("media.port_min-port_max 10000-32767 (22768 ports) carries 5692 audio calls"))
        #expect(atRoot.message.contains("6000 calls need 24000 ports") && atRoot.message.contains("e.g. 10000-33999"))
        #expect(atRoot.message.contains("lower overload.max_cps or media.port_reuse_delay_s"))
        let inSection = try #require(Self.warnings(Self.yaml("overload: {max_cps: 600}\nmedia: {latching: any}\n")).first)
        #expect(inSection.keyPath == "media" && inSection.line == 12)
    }

    @Test("no warning when the ports are not the SBC's to count: media off, or overload control off")
    func notApplicable() {
        #expect(Self.warnings(Self.yaml(a: 100_000, "media: {enabled: false}\n")).isEmpty)
        #expect(Self.warnings(Self.yaml("overload: {enabled: false, max_cps: 10000}\n")).isEmpty)
    }

    @Test("more calls than any range on one host holds: the warning says to spread them over nodes")
    func beyondOneHost() throws {
        let warning = try #require(Self.warnings(Self.yaml(a: 20000)).first)
        #expect(warning.message.contains("80000 ports"))
        #expect(warning.message.contains("No port range on one host carries that (64512 ports at most)"))
    }
}
