import Testing
@testable import B2BUA

@Suite struct IdentifierGeneratorTests {
    @Test func seededGeneratorsRepeatAndTokensAreDistinct() {
        var first = IdentifierGenerator(seed: 42)
        var second = IdentifierGenerator(seed: 42)
        let tokens = (0..<1000).map { _ in first.tag() }
        #expect(tokens == (0..<1000).map { _ in second.tag() })
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.utf8.count == 12 })
    }

    @Test func branchesCarryTheMagicCookie() {
        var ids = IdentifierGenerator(seed: 7)
        let branch = ids.branch()
        #expect(branch.hasPrefix("z9hG4bK"))
        #expect(branch.utf8.count == 27)
    }
}
