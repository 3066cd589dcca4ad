import SDP
import Testing

@Suite struct MediaDirectionTests {
    @Test func reversedSwapsSendAndReceive() {
        #expect(MediaDirection.sendonly.reversed == .recvonly)
        #expect(MediaDirection.recvonly.reversed == .sendonly)
        #expect(MediaDirection.sendrecv.reversed == .sendrecv)
        #expect(MediaDirection.inactive.reversed == .inactive)
    }

    @Test func sendsAndReceives() {
        #expect(MediaDirection.allCases.filter(\.sends) == [.sendrecv, .sendonly])
        #expect(MediaDirection.allCases.filter(\.receives) == [.sendrecv, .recvonly])
    }
}
