import Testing
import Media

@Suite("MediaEndpoint")
struct MediaEndpointTests {
    @Test("IPv4-mapped and IPv6 endpoints print in their usual text forms")
    func printing() {
        #expect(MediaEndpoint(ipv4: 0xC000_020A, port: 4000).description == "192.0.2.10:4000")
        #expect(MediaEndpoint(high: 0, low: 1, port: 5).description == "[::1]:5")
        #expect(MediaEndpoint(high: 0x2001_0DB8_0000_0000, low: 0x0001_0000_0000_0001, port: 5).hostText
            == "2001:db8::1:0:0:1")
    }

    @Test("same IP ignores the port")
    func sameIP() {
        let a = MediaEndpoint(ipv4: 0x7F00_0001, port: 1)
        let b = MediaEndpoint(ipv4: 0x7F00_0001, port: 2)
        #expect(a.hasSameIP(as: b))
        #expect(a != b)
    }
}
