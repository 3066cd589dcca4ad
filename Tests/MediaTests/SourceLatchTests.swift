import Testing
import Media

@Suite("SourceLatch")
struct SourceLatchTests {
    let signalled = MediaEndpoint(ipv4: 0xC000_0201, port: 4000)       // 192.0.2.1:4000
    let natted = MediaEndpoint(ipv4: 0xC000_0201, port: 61_000)        // same IP, NAT port
    let stranger = MediaEndpoint(ipv4: 0xC633_6409, port: 4000)        // 198.51.100.9:4000

    @Test("signalledAddress: strangers cannot latch; the signalled IP latches from any port")
    func signalledPolicy() {
        var latch = SourceLatch(policy: .signalledAddress, signalled: signalled)
        #expect(latch.admit(stranger) == .rejected)
        #expect(!latch.isLatched)
        #expect(latch.destination == signalled)
        #expect(latch.admit(natted) == .latched)
        #expect(latch.source == natted)
        #expect(latch.destination == natted)
        #expect(latch.admit(natted) == .accepted)
    }

    @Test("once latched only the exact ip:port is accepted; everything else is counted")
    func lockedAfterLatch() {
        var latch = SourceLatch(policy: .signalledAddress, signalled: signalled)
        #expect(latch.admit(signalled) == .latched)
        #expect(latch.admit(natted) == .rejected)    // same IP, other port
        #expect(latch.admit(stranger) == .rejected)
        #expect(latch.admit(signalled) == .accepted)
        #expect(latch.rejectedCount == 2)
    }

    @Test("signalledAddress with nothing signalled latches nothing")
    func nothingSignalled() {
        var latch = SourceLatch(policy: .signalledAddress)
        #expect(latch.admit(signalled) == .rejected)
        #expect(latch.destination == nil)
    }

    @Test("anySource: the first valid packet latches, then strangers are dropped")
    func anySourcePolicy() {
        var latch = SourceLatch(policy: .anySource, signalled: signalled)
        #expect(latch.admit(stranger) == .latched)
        #expect(latch.destination == stranger)
        #expect(latch.admit(signalled) == .rejected)
    }

    @Test("reopen goes back to learning for the new signalled address")
    func reopen() {
        var latch = SourceLatch(policy: .signalledAddress, signalled: signalled)
        #expect(latch.admit(signalled) == .latched)
        latch.reopen(signalled: stranger)
        #expect(!latch.isLatched)
        #expect(latch.destination == stranger)
        #expect(latch.admit(signalled) == .rejected)  // the old party is now the stranger
        #expect(latch.admit(stranger) == .latched)
    }
}
