import Foundation
import Testing
@testable import TLS

/// Certificate files: what `CertificateInfo.load` reads, the key check, and the generating script.
@Suite struct CertificateInfoTests {
    @Test func loadReadsTheFieldsOfTheLeaf() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let certificates = try CertificateInfo.load(pemFile: LabCertificates.path("sbc.pem"))
        #expect(certificates.count == 1)
        let sbc = try #require(certificates.first)
        #expect(sbc.subject == "CN=sbc.lab")
        #expect(sbc.issuer == "CN=SwiftSBC Lab CA")
        #expect(sbc.subjectAltNames == ["IP:127.0.0.1", "DNS:sbc.lab", "DNS:localhost"])
        // 825 days from generation (this process, or an earlier run of the script's idempotent keep).
        #expect(sbc.notAfter - now <= 825 * 86_400 + 60)
        #expect(sbc.notAfter - now > 30 * 86_400)
        #expect(sbc.notAfter - sbc.notBefore == 825 * 86_400)
        #expect(sbc.secondsUntilExpiry(now: now) == sbc.notAfter - now)
        let serial = LabCertificates.shell("openssl x509 -noout -serial -in '\(LabCertificates.path("sbc.pem"))'")
        #expect("serial=" + sbc.serialNumber == serial)
    }

    @Test(arguments: ["sbc", "platform", "selfsigned", "expired"])
    func thePinIsTheSHA256OfTheSubjectPublicKeyInfo(name: String) throws {
        let file = LabCertificates.path("\(name).pem")
        let expected = LabCertificates.shell(
            "openssl x509 -pubkey -noout -in '\(file)' | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64")
        #expect(expected.count == 44)
        #expect(try CertificateInfo.load(pemFile: file).first?.spkiSHA256 == expected)
    }

    @Test func aChainFileListsTheLeafFirst() throws {
        let chain = try CertificateInfo.load(pemFile: LabCertificates.path("sbc-chain.pem"))
        #expect(chain.map(\.subject) == ["CN=sbc.lab", "CN=SwiftSBC Lab CA"])
        #expect(chain[1].subjectAltNames.isEmpty)
    }

    @Test func theExpiredCertificateEndedIn2021() throws {
        let expired = try #require(CertificateInfo.load(pemFile: LabCertificates.path("expired.pem")).first)
        #expect(expired.notBefore == 1_577_836_800)  // 2020-01-01T00:00:00Z
        #expect(expired.notAfter == 1_609_459_200)
        #expect(expired.secondsUntilExpiry(now: 1_609_459_300) == -100)
        #expect(expired.subjectAltNames == ["IP:127.0.0.12", "DNS:carrier-b.lab", "DNS:expired.lab"])
    }

    @Test func aCombinedFileYieldsItsCertificate() throws {
        let combined = try CertificateInfo.load(pemFile: LabCertificates.path("platform-combined.pem"))
        #expect(combined.map(\.subject) == ["CN=platform.lab"])
    }

    @Test func loadNamesTheFileItCannotRead() throws {
        let missing = LabCertificates.path("missing.pem")
        #expect(throws: TLSConfigurationError.unreadableFile(path: missing, reason: "No such file or directory")) {
            try CertificateInfo.load(pemFile: missing)
        }
        let key = LabCertificates.path("sbc.key")
        let error = #expect(throws: TLSConfigurationError.self) { try CertificateInfo.load(pemFile: key) }
        guard case .invalidPEM(let path, _) = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(path == key)
    }

    @Test func aTruncatedCertificateIsInvalidPEM() throws {
        let text = try String(contentsOfFile: LabCertificates.path("sbc.pem"), encoding: .utf8)
        let broken = NSTemporaryDirectory() + "swiftsbc-tls-broken-\(getpid()).pem"
        try (String(text.prefix(200)) + "\n-----END CERTIFICATE-----\n").write(toFile: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let error = #expect(throws: TLSConfigurationError.self) { try CertificateInfo.load(pemFile: broken) }
        #expect(error?.description.hasPrefix("\(broken) is not valid PEM") == true)
    }

    @Test func materialCheckTellsAMatchingKeyFromAnother() throws {
        #expect(try TLSMaterialCheck.keyMatchesCertificate(
            certificateFile: LabCertificates.path("sbc-chain.pem"), keyFile: LabCertificates.path("sbc.key")))
        #expect(try TLSMaterialCheck.keyMatchesCertificate(
            certificateFile: LabCertificates.path("platform-combined.pem"), keyFile: LabCertificates.path("platform-combined.pem")))
        #expect(try !TLSMaterialCheck.keyMatchesCertificate(
            certificateFile: LabCertificates.path("sbc.pem"), keyFile: LabCertificates.path("platform.key")))
        let missing = LabCertificates.path("nope.key")
        #expect(throws: TLSConfigurationError.unreadableFile(path: missing, reason: "No such file or directory")) {
            try TLSMaterialCheck.keyMatchesCertificate(certificateFile: LabCertificates.path("sbc.pem"), keyFile: missing)
        }
        let notAKey = #expect(throws: TLSConfigurationError.self) {
            try TLSMaterialCheck.keyMatchesCertificate(
                certificateFile: LabCertificates.path("sbc.pem"), keyFile: LabCertificates.path("ca.pem"))
        }
        guard case .invalidPEM(let path, _) = notAKey else {
            Issue.record("\(String(describing: notAKey))")
            return
        }
        #expect(path == LabCertificates.path("ca.pem"))
    }

    @Test func theScriptKeepsValidFiles() throws {
        let files = ["ca.pem", "ca.key", "sbc.pem", "sbc-chain.pem", "platform.pem", "expired.pem", "selfsigned.pem", "carrier-b-combined.pem"]
        func contents() throws -> [Data] { try files.map { try Data(contentsOf: URL(fileURLWithPath: LabCertificates.path($0))) } }
        let before = try contents()
        let result = LabCertificates.run(["/bin/bash", LabCertificates.script, LabCertificates.directory])
        #expect(result.status == 0)
        #expect(result.output == "TLS lab certificates in \(LabCertificates.directory)\n")
        #expect(try contents() == before)
        let mode = try FileManager.default.attributesOfItem(atPath: LabCertificates.path("sbc.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
