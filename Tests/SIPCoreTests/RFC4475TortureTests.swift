// RFC 4475 (SIP Torture Test Messages) corpus.
//
// Fixtures/rfc4475/*.dat are the byte-exact messages of the RFC's Appendix B archive (CRLF line
// endings, NULs, non-UTF-8 octets; see .gitattributes there). Fixtures/rfc4475/manifest.tsv gives,
// for each file, what a B2BUA SBC must do with it:
//   valid        parses; a request also passes SIPRequestScreening
//   reject:NNN   the parser throws, and a server would answer NNN
//   reject:drop  the parser throws, and nothing is answered (malformed responses are dropped)
//   screen:NNN   parses, but SIPRequestScreening refuses the request with NNN
// Each message is its own test case, named after its file and RFC section.

import Foundation
import Testing
@testable import SIPCore

struct RFC4475Case: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable {
        case request
        case response
    }

    enum Expectation: Sendable, Equatable {
        case valid
        /// `nil`: drop without answering.
        case reject(statusCode: Int?)
        case screen(statusCode: Int)

        init?(_ text: String) {
            if text == "valid" {
                self = .valid
                return
            }
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            switch (parts[0], parts[1]) {
            case ("reject", "drop"):
                self = .reject(statusCode: nil)
            case ("reject", let code):
                guard let status = Int(code), (300...699).contains(status) else { return nil }
                self = .reject(statusCode: status)
            case ("screen", let code):
                guard let status = Int(code), (300...699).contains(status) else { return nil }
                self = .screen(statusCode: status)
            default:
                return nil
            }
        }

        var isValid: Bool { self == .valid }
        var isReject: Bool { if case .reject = self { true } else { false } }
        var isScreen: Bool { if case .screen = self { true } else { false } }
    }

    var name: String
    var kind: Kind
    var expectation: Expectation
    var section: String
    var note: String

    var testDescription: String { section == "-" ? name : "\(name) (RFC 4475 \(section))" }

    var fileURL: URL { RFC4475Corpus.directory.appendingPathComponent("\(name).dat") }

    func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: fileURL)) }
}

enum RFC4475Corpus {
    static let expectedColumns = ["name", "kind", "expect", "rfc_section", "note"]

    static var directory: URL {
        guard let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            // Resolves to a path that does not exist, so every load reports it.
            return URL(fileURLWithPath: "/nonexistent/Fixtures/rfc4475")
        }
        return fixtures.appendingPathComponent("rfc4475", isDirectory: true)
    }

    struct ManifestError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every row of the manifest, or the first problem with it.
    static func load() throws -> [RFC4475Case] {
        let url = directory.appendingPathComponent("manifest.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { throw ManifestError(description: "manifest.tsv is empty") }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard header == expectedColumns else {
            throw ManifestError(description: "manifest.tsv header is \(header), expected \(expectedColumns)")
        }
        return try lines.enumerated().map { index, line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let row = index + 2
            guard columns.count == expectedColumns.count else {
                throw ManifestError(description: "manifest.tsv line \(row): \(columns.count) columns")
            }
            guard let kind = RFC4475Case.Kind(rawValue: columns[1]) else {
                throw ManifestError(description: "manifest.tsv line \(row): unknown kind '\(columns[1])'")
            }
            guard let expectation = RFC4475Case.Expectation(columns[2]) else {
                throw ManifestError(description: "manifest.tsv line \(row): unknown expect '\(columns[2])'")
            }
            return RFC4475Case(name: columns[0], kind: kind, expectation: expectation,
                               section: columns[3], note: columns[4])
        }
    }

    /// Rows for one kind of expectation. A broken manifest yields no rows here;
    /// `manifestMatchesFixtures` reports why.
    static func cases(where predicate: (RFC4475Case.Expectation) -> Bool) -> [RFC4475Case] {
        ((try? load()) ?? []).filter { predicate($0.expectation) }
    }

    static func datFileNames() throws -> Set<String> {
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return Set(entries.filter { $0.hasSuffix(".dat") }.map { String($0.dropLast(".dat".count)) })
    }
}

@Suite("RFC 4475 torture messages")
struct RFC4475TortureTests {
    @Test("Manifest is well formed and lists exactly the .dat fixtures")
    func manifestMatchesFixtures() throws {
        let rows = try RFC4475Corpus.load()
        let names = rows.map(\.name)
        #expect(Set(names).count == names.count, "duplicate names in manifest.tsv")
        let files = try RFC4475Corpus.datFileNames()
        #expect(!files.isEmpty, "no .dat fixtures found in \(RFC4475Corpus.directory.path)")
        let missingFromManifest = files.subtracting(names).sorted()
        let missingFiles = Set(names).subtracting(files).sorted()
        #expect(missingFromManifest.isEmpty, "fixtures not in manifest.tsv: \(missingFromManifest)")
        #expect(missingFiles.isEmpty, "manifest.tsv rows without a .dat file: \(missingFiles)")
        for row in rows where !row.expectation.isValid {
            #expect(!row.note.isEmpty, "\(row.name): a rejection needs the RFC's reason in its note")
        }
        for row in rows where row.expectation.isScreen {
            #expect(row.kind == .request, "\(row.name): only requests are screened")
        }
    }

    @Test("Valid messages parse and pass screening",
          arguments: RFC4475Corpus.cases(where: \.isValid))
    func valid(_ testCase: RFC4475Case) throws {
        let bytes = try testCase.bytes()
        let message: SIPMessage
        do throws(SIPParseError) {
            message = try SIPMessage(parsing: bytes)
        } catch {
            Issue.record("\(testCase.name) must parse (\(testCase.note)) but was rejected: \(error.statusCode) \(error.reason)")
            return
        }
        #expect(message.isRequest == (testCase.kind == .request))
        if testCase.kind == .request {
            let rejection = SIPRequestScreening.rejection(for: message)
            #expect(rejection == nil,
                    "\(testCase.name) must be accepted but screening refused it: \(rejection?.statusCode ?? 0) \(rejection?.reason ?? "")")
        }
    }

    @Test("Invalid messages are rejected by the parser with the RFC's status",
          arguments: RFC4475Corpus.cases(where: \.isReject))
    func rejected(_ testCase: RFC4475Case) throws {
        guard case .reject(let expectedStatus) = testCase.expectation else {
            Issue.record("\(testCase.name) is not a reject row")
            return
        }
        let bytes = try testCase.bytes()
        do throws(SIPParseError) {
            let message = try SIPMessage(parsing: bytes)
            Issue.record("\(testCase.name) must be rejected (\(testCase.note)) but parsed as a \(message.isRequest ? "request" : "response")")
        } catch {
            #expect(!error.reason.isEmpty, "\(testCase.name): rejection without a reason")
            if let expectedStatus {
                #expect(error.statusCode == expectedStatus,
                        "\(testCase.name): expected \(expectedStatus), got \(error.statusCode) \(error.reason)")
            } else {
                #expect(!error.canRespond, "\(testCase.name): a malformed response is dropped, never answered")
            }
        }
    }

    @Test("Well-formed requests are refused by screening with the RFC's status",
          arguments: RFC4475Corpus.cases(where: \.isScreen))
    func screened(_ testCase: RFC4475Case) throws {
        guard case .screen(let expectedStatus) = testCase.expectation else {
            Issue.record("\(testCase.name) is not a screen row")
            return
        }
        let bytes = try testCase.bytes()
        let message: SIPMessage
        do throws(SIPParseError) {
            message = try SIPMessage(parsing: bytes)
        } catch {
            Issue.record("\(testCase.name) must parse before screening (\(testCase.note)) but was rejected: \(error.statusCode) \(error.reason)")
            return
        }
        #expect(message.isRequest)
        let rejection = SIPRequestScreening.rejection(for: message)
        #expect(rejection?.statusCode == expectedStatus,
                "\(testCase.name): expected screening to answer \(expectedStatus), got \(rejection.map { "\($0.statusCode) \($0.reason)" } ?? "no rejection")")
        if let rejection {
            #expect(!rejection.reason.isEmpty, "\(testCase.name): rejection without a reason")
        }
    }
}
