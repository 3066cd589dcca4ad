import Testing
@testable import TLS

@Suite struct CertificateExpiryMonitorTests {
    static let day: Int64 = 86_400
    static let expiry: Int64 = 2_000_000_000

    static func certificate(serial: String = "01", notAfter: Int64 = expiry) -> CertificateInfo {
        CertificateInfo(subject: "CN=carrier-a.lab", issuer: "CN=SwiftSBC Lab CA", serialNumber: serial,
                        notBefore: notAfter - 400 * day, notAfter: notAfter, subjectAltNames: [], spkiSHA256: "")
    }

    static func entry(_ label: String = "peer:carrier-a", serial: String = "01", notAfter: Int64 = expiry) -> CertificateExpiryMonitor.Entry {
        .init(label: label, trunk: "carrier-a", certificate: certificate(serial: serial, notAfter: notAfter))
    }

    @Test func eachThresholdAlertsOnceThenTheExpiry() {
        var monitor = CertificateExpiryMonitor()
        let e = Self.entry()
        #expect(monitor.observe(e, now: Self.expiry - 60 * Self.day).isEmpty)
        #expect(monitor.evaluate(now: Self.expiry - 31 * Self.day).isEmpty)
        #expect(monitor.evaluate(now: Self.expiry - 30 * Self.day) == [.init(entry: e, thresholdDays: 30, secondsLeft: 30 * Self.day)])
        #expect(monitor.evaluate(now: Self.expiry - 29 * Self.day).isEmpty)
        #expect(monitor.evaluate(now: Self.expiry - 7 * Self.day + 1).map(\.thresholdDays) == [7])
        #expect(monitor.evaluate(now: Self.expiry - 2 * Self.day).isEmpty)
        #expect(monitor.evaluate(now: Self.expiry - 3600).map(\.thresholdDays) == [1])
        #expect(monitor.evaluate(now: Self.expiry - 60).isEmpty)
        let expired = monitor.evaluate(now: Self.expiry)
        #expect(expired == [.init(entry: e, thresholdDays: 0, secondsLeft: 0)])
        #expect(expired.first?.isExpired == true)
        #expect(monitor.evaluate(now: Self.expiry + Self.day).isEmpty)
    }

    @Test func aFirstLookCloseToExpiryAlertsOnceForTheTightestThreshold() {
        var monitor = CertificateExpiryMonitor()
        #expect(monitor.observe(Self.entry(), now: Self.expiry - 5 * Self.day).map(\.thresholdDays) == [7])
        #expect(monitor.evaluate(now: Self.expiry - 4 * Self.day).isEmpty)
        var other = CertificateExpiryMonitor()
        let alerts = other.observe(Self.entry(), now: Self.expiry + 10)
        #expect(alerts.map(\.thresholdDays) == [0] && alerts.first?.secondsLeft == -10)
    }

    @Test func theSameCertificateSeenAgainDoesNotRealert() {
        var monitor = CertificateExpiryMonitor()
        #expect(monitor.observe(Self.entry(), now: Self.expiry - 10 * Self.day).count == 1)
        #expect(monitor.observe(Self.entry(), now: Self.expiry - 10 * Self.day + 60).isEmpty)  // next handshake
    }

    @Test func aNewCertificateForTheLabelReplacesTheOldAndRearms() {
        var monitor = CertificateExpiryMonitor()
        #expect(monitor.observe(Self.entry(), now: Self.expiry - 10 * Self.day).map(\.thresholdDays) == [30])
        // Renewed with another short-lived certificate: alerts again.
        let renewed = Self.entry(serial: "02", notAfter: Self.expiry + 5 * Self.day)
        #expect(monitor.observe(renewed, now: Self.expiry - 10 * Self.day).map(\.thresholdDays) == [30])
        #expect(monitor.entries == [renewed])
        #expect(monitor.evaluate(now: Self.expiry).map(\.thresholdDays) == [7])
    }

    @Test func entriesAreOrderedByLabelAndForgetRemovesOne() {
        var monitor = CertificateExpiryMonitor(thresholdsDays: [1, 30, 30, 0])
        #expect(monitor.thresholdsDays == [30, 1])
        _ = monitor.observe(Self.entry("zone:platform"), now: 0)
        _ = monitor.observe(Self.entry("peer:carrier-b"), now: 0)
        _ = monitor.observe(Self.entry("peer:carrier-a"), now: 0)
        #expect(monitor.entries.map(\.label) == ["peer:carrier-a", "peer:carrier-b", "zone:platform"])
        monitor.forget(label: "peer:carrier-b")
        #expect(monitor.entries.map(\.label) == ["peer:carrier-a", "zone:platform"])
        #expect(monitor.evaluate(now: Self.expiry - Self.day).map(\.entry.label) == ["peer:carrier-a", "zone:platform"])
    }
}
