import Foundation
import AdminAPI
import Glibc
import Logging
import SBCStore
import SIPTransport
import TLS

/// TLS around the transport: handshake outcomes into metrics and the certificate watch,
/// certificate expiry alerts, and reloading certificates without a restart.
extension SignallingServer {
    /// How often expiry gauges are refreshed and thresholds re-checked.
    var certificateCheckInterval: Duration { configuration.tls.expiryCheckInterval }

    private var unixNow: Int64 { Int64(time(nil)) }

    func tlsHandshakeEnded(_ report: TLSHandshakeReport) {
        switch report.outcome {
        case .established(let summary):
            metrics.tlsHandshake(direction: report.outbound ? "outbound" : "inbound")
            guard let certificate = summary.peerCertificate else { return }
            let trunk = tlsCredentials.trunk(zone: report.zone, host: report.peer.host)?.name
            let entry = CertificateExpiryMonitor.Entry(label: "peer:\(trunk ?? report.peer.host)", trunk: trunk,
                                                       certificate: certificate)
            announce(certificateExpiry.observe(entry, now: unixNow))
            publishExpiry(entry)
        case .failed(let failure):
            metrics.tlsFailure(cause: failure.cause)
        }
    }

    /// Our certificates into the watch, then a check every interval.
    func watchOwnCertificates() {
        let now = unixNow
        for entry in tlsCredentials.ownCertificates {
            announce(certificateExpiry.observe(entry, now: now))
            let days = Double(entry.certificate.secondsUntilExpiry(now: now)) / 86_400
            logger.info("TLS certificate loaded", metadata: [
                "certificate": "\(entry.label)", "subject": "\(entry.certificate.subject)",
                "expires_in_days": "\(Int(days.rounded(.down)))",
            ])
        }
        checkCertificates()
    }

    private func checkCertificates() {
        announce(certificateExpiry.evaluate(now: unixNow))
        for entry in certificateExpiry.entries { publishExpiry(entry) }
        certificateTimer = loop.schedule(after: certificateCheckInterval) { [unowned self] in
            self.certificateTimer = nil
            self.checkCertificates()
        }
    }

    private func publishExpiry(_ entry: CertificateExpiryMonitor.Entry) {
        metrics.setCertificateExpiry(certificate: entry.label, trunk: entry.trunk ?? "",
                                     seconds: Double(entry.certificate.secondsUntilExpiry(now: unixNow)))
    }

    /// Expiry thresholds crossed: logged, audited and sent to the webhook.
    private func announce(_ due: [CertificateExpiryMonitor.Alert]) {
        for alert in due {
            let certificate = alert.entry.certificate
            let expired = alert.secondsLeft <= 0
            let detail = expired
                ? "\(certificate.subject) expired \(-alert.secondsLeft / 86_400) days ago"
                : "\(certificate.subject) expires in \(alert.secondsLeft / 86_400) days (threshold \(alert.thresholdDays) days)"
            logger.warning("TLS certificate expiry", metadata: [
                "certificate": "\(alert.entry.label)", "trunk": "\(alert.entry.trunk ?? "-")", "detail": "\(detail)",
                "not_after": "\(Self.iso8601(certificate.notAfter))",
            ])
            operationalState.append(AuditEntry(
                at: Double(unixNow), subject: alert.entry.trunk ?? alert.entry.label, kind: "certificate",
                toState: expired ? "expired" : "expiring", cause: "certificate_expiry", detail: detail))
            alerts?.notify([
                "kind": "certificate", "certificate": alert.entry.label, "trunk": alert.entry.trunk ?? "",
                "subject": certificate.subject, "not_after": Self.iso8601(certificate.notAfter),
                "seconds_left": "\(alert.secondsLeft)", "threshold_days": "\(alert.thresholdDays)",
                "expired": "\(expired)", "node": configuration.node.name,
            ])
        }
    }

    private static func iso8601(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format()
    }

    /// The watched certificates for the admin API, soonest expiry first.
    func certificateStatuses() -> [CertificateStatus] {
        let now = unixNow
        return certificateExpiry.entries.map { entry in
            let certificate = entry.certificate
            return CertificateStatus(certificate: entry.label, trunk: entry.trunk, subject: certificate.subject,
                                     issuer: certificate.issuer, notAfter: Self.iso8601(certificate.notAfter),
                                     secondsToExpiry: certificate.secondsUntilExpiry(now: now),
                                     spkiSHA256: certificate.spkiSHA256)
        }.sorted { ($0.secondsToExpiry, $0.certificate) < ($1.secondsToExpiry, $1.certificate) }
    }

    /// Re-reads every certificate, key and CA file; established connections keep theirs. On an
    /// error nothing changes and the error is returned (and logged).
    @discardableResult
    func reloadTLS(actor: String, reason: String) -> TLSCredentialError? {
        do {
            try tlsCredentials.reload()
        } catch {
            logger.error("TLS reload failed; keeping the previous certificates", metadata: [
                "actor": "\(actor)", "error": "\(error)",
            ])
            return error
        }
        logger.notice("TLS certificates reloaded", metadata: ["actor": "\(actor)"])
        operationalState.append(AuditEntry(at: Double(unixNow), subject: "tls", kind: "certificate",
                                           cause: "tls_reload", detail: reason, actor: actor))
        for entry in tlsCredentials.ownCertificates {
            announce(certificateExpiry.observe(entry, now: unixNow))
            publishExpiry(entry)
        }
        return nil
    }
}
