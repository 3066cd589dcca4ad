import Testing
import Media
@testable import MediaRelay

/// Media addresses from signalling become endpoints through `SocketAddress`'s parser.
@Suite("MediaEndpoint from MediaAddress")
struct MediaEndpointParsingTests {
    @Test("IPv4 literals parse to IPv4-mapped integers and print back")
    func ipv4() {
        let endpoint = MediaEndpoint(MediaAddress(host: "192.0.2.10", port: 4000))
        #expect(endpoint == MediaEndpoint(ipv4: 0xC000_020A, port: 4000))
        #expect(endpoint?.ipv4 == 0xC000_020A)
        #expect(endpoint?.description == "192.0.2.10:4000")
    }

    @Test("IPv6 literals in their text forms")
    func ipv6() {
        let cases: [(String, UInt64, UInt64, String)] = [
            ("2001:db8::1", 0x2001_0DB8_0000_0000, 1, "2001:db8::1"),
            ("[2001:db8::1]", 0x2001_0DB8_0000_0000, 1, "2001:db8::1"),
            ("::1", 0, 1, "::1"),
            ("::", 0, 0, "::"),
            ("fe80::1%eth0", 0xFE80_0000_0000_0000, 1, "fe80::1"),
            ("2001:db8:0:0:1:0:0:1", 0x2001_0DB8_0000_0000, 0x0001_0000_0000_0001, "2001:db8::1:0:0:1"),
            ("::ffff:10.1.2.3", 0, 0xFFFF_0A01_0203, "10.1.2.3"),
        ]
        for (text, high, low, printed) in cases {
            let endpoint = MediaEndpoint(MediaAddress(host: text, port: 5))
            #expect(endpoint?.high == high, "\(text)")
            #expect(endpoint?.low == low, "\(text)")
            #expect(endpoint?.hostText == printed, "\(text)")
        }
        #expect(MediaEndpoint(MediaAddress(host: "::1", port: 5))?.description == "[::1]:5")
    }

    @Test("names and malformed literals are refused")
    func invalid() {
        for text in ["example.com", "1.2.3", "1.2.3.256", "", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", ":1"] {
            #expect(MediaEndpoint(MediaAddress(host: text, port: 1)) == nil, "\(text)")
        }
    }

}
