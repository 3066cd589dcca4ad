import Testing
@testable import SIPCore

/// The character classes are bit masks written as literals; these tests hold them to the RFC 3261
/// ABNF they stand for, over every byte value.
@Suite struct SIPGrammarTests {
    static func alphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func definition(_ extra: String) -> (UInt8) -> Bool {
        { byte in alphanumeric(byte) || extra.utf8.contains(byte) }
    }

    @Test(arguments: [
        ("token", SIPGrammar.token, "-.!%*_+`'~"),
        ("uri", SIPGrammar.uri, "-_.!~*'()%;/?:@&=+$,[]#"),
        ("word", SIPGrammar.word, "-.!%*_+`'~()<>:\\\"/[]?{}"),
    ])
    func classMatchesItsDefinition(name: String, byteClass: SIPGrammar.ByteClass, extra: String) {
        let expected = Self.definition(extra)
        let mismatches = (0...255).map(UInt8.init).filter { byteClass.contains($0) != expected($0) }
        #expect(mismatches.isEmpty, "\(name): \(mismatches)")
    }

    @Test func nonASCIIBytesBelongToNoClass() {
        for byte in UInt8(128)...255 {
            #expect(!SIPGrammar.isToken(byte) && !SIPGrammar.isURIChar(byte) && !SIPGrammar.isWord(byte))
        }
    }
}
