import Testing
@testable import TLS

/// Building contexts: what is loaded, and every configuration error naming its cause.
@Suite struct TLSContextTests {
    @Test func aServerContextReportsItsChain() throws {
        let context = try LabCertificates.server()
        #expect(context.role == .server)
        #expect(context.localChain.map(\.subject) == ["CN=sbc.lab", "CN=SwiftSBC Lab CA"])
        #expect(try LabCertificates.client().localChain.isEmpty)
        #expect(try LabCertificates.client(certificate: "platform").localChain.map(\.subject) == ["CN=platform.lab"])
    }

    @Test func aServerNeedsACertificate() {
        #expect(throws: TLSConfigurationError.missingCertificate("a TLS server needs a certificate chain and its private key")) {
            try TLSContext(role: .server, configuration: TLSEndpointConfiguration())
        }
        let chain = LabCertificates.path("sbc.pem")
        #expect(throws: TLSConfigurationError.missingCertificate("certificate chain \(chain) is configured without its private key")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(certificateChainFile: chain))
        }
    }

    @Test func missingFilesAreNamed() {
        for (chain, key, bundle) in [("nope.pem", "sbc.key", "ca.pem"), ("sbc.pem", "nope.key", "ca.pem"), ("sbc.pem", "sbc.key", "nope.pem")] {
            let missing = LabCertificates.path("nope" + (chain == "nope.pem" || bundle == "nope.pem" ? ".pem" : ".key"))
            #expect(throws: TLSConfigurationError.unreadableFile(path: missing, reason: "No such file or directory")) {
                try TLSContext(role: .server, configuration: TLSEndpointConfiguration(
                    certificateChainFile: LabCertificates.path(chain), privateKeyFile: LabCertificates.path(key),
                    caBundleFile: LabCertificates.path(bundle)))
            }
        }
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() {
        let chain = LabCertificates.path("sbc-chain.pem")
        let key = LabCertificates.path("carrier-a.key")
        #expect(throws: TLSConfigurationError.keyDoesNotMatchCertificate(certificate: chain, key: key)) {
            try TLSContext(role: .server, configuration: TLSEndpointConfiguration(certificateChainFile: chain, privateKeyFile: key))
        }
    }

    @Test func aCipherListWithNothingUsableIsRefused() {
        #expect(throws: TLSConfigurationError.invalidCipherList("NO-SUCH-CIPHER")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(cipherList: "NO-SUCH-CIPHER"))
        }
        #expect(throws: TLSConfigurationError.invalidCipherList("TLS_NOPE")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(cipherSuites: "TLS_NOPE"))
        }
    }

    @Test func configuredCiphersAreNegotiated() throws {
        let client = try TLSContext(role: .client, configuration: TLSEndpointConfiguration(
            caBundleFile: LabCertificates.path("ca.pem"), cipherSuites: "TLS_CHACHA20_POLY1305_SHA256"))
        #expect(try TLSPump(client: client, server: LabCertificates.server()).run().server.completed?.cipher == "TLS_CHACHA20_POLY1305_SHA256")
        let client12 = try TLSContext(role: .client, configuration: TLSEndpointConfiguration(
            caBundleFile: LabCertificates.path("ca.pem"), maximumVersion: .tls12, cipherList: "ECDHE-ECDSA-AES128-GCM-SHA256"))
        #expect(try TLSPump(client: client12, server: LabCertificates.server()).run().server.completed?.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256")
    }

    @Test func unusableVerificationSettingsAreRefused() {
        #expect(throws: TLSConfigurationError.invalidVerification("the expected peer name is empty")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(verification: .chainAndName("")))
        }
        #expect(throws: TLSConfigurationError.invalidVerification("no pin is configured")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(verification: .chainAndPin([])))
        }
        #expect(throws: TLSConfigurationError.invalidVerification("pin \"abc\" is not a base64 SHA-256 (44 characters)")) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(verification: .chainAndPin(["sha256//abc"])))
        }
        #expect(throws: TLSConfigurationError.self) {
            try TLSContext(role: .client, configuration: TLSEndpointConfiguration(minimumVersion: .tls13, maximumVersion: .tls12))
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(TLSConfigurationError.unreadableFile(path: "/x.pem", reason: "Permission denied").description == "cannot read /x.pem: Permission denied")
        #expect(TLSConfigurationError.keyDoesNotMatchCertificate(certificate: "/c.pem", key: "/k.pem").description
            == "the private key /k.pem does not belong to the certificate /c.pem")
    }
}
