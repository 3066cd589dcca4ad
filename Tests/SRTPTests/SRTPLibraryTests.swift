import SRTP
import Testing

@Suite struct SRTPLibraryTests {
    @Test func initialisesOnceAndReportsItsVersion() throws {
        try SRTPLibrary.initialize()
        try SRTPLibrary.initialize()
        #expect(SRTPLibrary.version.contains("libsrtp2"))
    }
}
