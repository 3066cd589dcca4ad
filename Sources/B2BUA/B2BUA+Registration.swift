import Logging
import Routing
import SBCConfig
import SIPCore
import SIPTransaction

/// One registration trunk's binding: its ``TrunkRegistration`` state machine and the REGISTER's
/// fixed parts (one Call-ID and From tag per SBC run, CSeq incremented: RFC 3261 10.2).
struct RegistrationBinding: Sendable {
    var machine: TrunkRegistration
    let callID: String
    let fromTag: String
    var cseq: UInt32 = 0
    /// The REGISTER in flight (moved to its retry when a challenge is answered).
    var key: TransactionKey?
    /// `sip:domain` (the registrar's domain, RFC 3261 10.2).
    let requestURI: SIPURI
    /// The address of record, in From and To.
    let aor: SIPURI
    /// Our Contact in the trunk's zone, whose binding is kept.
    let contact: SIPNameAddress
    /// The registrar.
    let destination: SIPEndpoint
    /// Whether "trunk registered" was logged since the last failure (refreshes log at debug).
    var announced = false
}

/// Registration-based trunks (`trunks[].register`, docs/AUTH.md): a REGISTER binding per trunk,
/// kept by its sans-IO ``TrunkRegistration``; challenges are answered by the digest hook like any
/// other request's (B2BUA+Authentication.swift). A missing binding takes the trunk down in its
/// ``TrunkHealth`` with cause `registration_failed`.
extension B2BUA {
    /// Sends the first REGISTER of every trunk with `register` enabled. Called once at start,
    /// after `startHealthMonitoring` (the health state the outcome feeds must exist).
    public mutating func startRegistrations(now: Duration) -> [SIPOutbound] {
        outbox.removeAll(keepingCapacity: true)
        for trunk in routing.allTrunks {
            guard let register = trunk.register, register.enabled, let zone = settings.zones[trunk.zone],
                  let user = register.user ?? trunk.auth?.username
            else { continue }
            let requestURI = register.domain.map { SIPURI(host: $0) } ?? Self.trunkTarget(user: nil, trunk: trunk)
            var contact = SIPNameAddress.parse(zone.contact(user: user, transport: trunk.transport))
                ?? SIPNameAddress(uri: SIPURI(user: user, host: zone.host))
            contact.parameters = []
            let binding = RegistrationBinding(
                machine: TrunkRegistration(trunk: trunk.name, settings: register, now: now), callID: ids.callID(),
                fromTag: ids.tag(), requestURI: requestURI,
                aor: SIPURI(user: user, host: requestURI.host, port: requestURI.port), contact: contact,
                destination: SIPEndpoint(host: register.registrarHost ?? trunk.address,
                                         port: register.registrarPort ?? trunk.port, transport: trunk.transport,
                                         zone: trunk.zone))
            authentication.registrations[trunk.name] = binding
            perform(authentication.registrations[trunk.name]?.machine.start(now: now) ?? [], trunk: trunk.name, now: now)
        }
        recordRegistrations()
        return outbox
    }

    /// A trunk's binding, for the admin API.
    public func registration(of trunk: String) -> TrunkRegistration? {
        authentication.registrations[trunk]?.machine
    }

    /// Refreshes and retries that are due; once draining has begun, the un-REGISTERs.
    mutating func advanceRegistrations(to now: Duration) {
        if drainDeadline != nil, !authentication.unregistering {
            authentication.unregistering = true
            unregisterTrunks(now: now)
        }
        guard let due = authentication.registrationDeadline, due <= now else { return }
        for name in authentication.registrations.keys.sorted() {
            guard let deadline = authentication.registrations[name]?.machine.nextDeadline, deadline <= now else { continue }
            perform(authentication.registrations[name]?.machine.advance(to: now) ?? [], trunk: name, now: now)
        }
        recordRegistrations()
    }

    /// The final response to a REGISTER (a challenge was answered before this, if it could be).
    mutating func registrationAnswered(_ response: SIPMessage, key: TransactionKey, trunk name: String, now: Duration) {
        guard let status = response.statusCode, status >= 200, var binding = authentication.registrations[name],
              binding.key == key
        else { return }
        binding.key = nil
        authentication.registrations[name] = binding
        let minExpires = response.firstValue(SIPHeaderName("min-expires")).flatMap { Int($0.trimmingWhitespace()) }
        let actions = authentication.registrations[name]?.machine.responded(
            status: status, reason: response.reasonPhrase, grantedExpires: Self.grantedExpires(response, for: binding.contact),
            retryAfter: response.retryAfter.map { Int($0.seconds) }, minExpires: minExpires, now: now) ?? []
        perform(actions, trunk: name, now: now)
        recordRegistrations()
    }

    /// A REGISTER that timed out or could not be sent.
    mutating func registrationFailed(trunk name: String, key: TransactionKey, detail: String, now: Duration) {
        guard authentication.registrations[name]?.key == key else { return }
        authentication.registrations[name]?.key = nil
        let actions = authentication.registrations[name]?.machine.failed(detail: "REGISTER not answered: \(detail)",
                                                                         now: now) ?? []
        perform(actions, trunk: name, now: now)
        recordRegistrations()
    }

    /// The transport reported `destination` unreachable: a REGISTER in flight to it fails now
    /// rather than after Timer F.
    mutating func registrationTransportFailed(to destination: SIPEndpoint, reason: String, now: Duration) {
        for (name, binding) in authentication.registrations {
            guard let key = binding.key, binding.destination.sameTransportAddress(as: destination) else { continue }
            handle(transactions.abandonClient(key), now: now)
            registrationFailed(trunk: name, key: key, detail: "transport error: \(reason)", now: now)
        }
    }

    /// Graceful shutdown: every binding is removed (`Expires: 0`); the answers are not waited for
    /// beyond the server's exit grace.
    mutating func unregisterTrunks(now: Duration) {
        for name in authentication.registrations.keys.sorted() {
            perform(authentication.registrations[name]?.machine.stop(now: now) ?? [], trunk: name, now: now)
        }
        recordRegistrations()
    }

    /// Carries out a binding's actions: REGISTERs out, health fed, logs.
    private mutating func perform(_ actions: [TrunkRegistration.Action], trunk name: String, now: Duration) {
        for action in actions {
            guard let binding = authentication.registrations[name] else { return }
            let metadata: Logger.Metadata = [
                "trunk": "\(name)", "registrar": "\(binding.destination)", "aor": "\(binding.aor)",
            ]
            switch action {
            case .send(let expires):
                sendRegister(trunk: name, expires: expires, now: now)
            case .registered(let expires):
                logger.log(level: binding.announced ? .debug : .notice, "trunk registered",
                           metadata: metadata.merging(["expires_s": "\(expires)"]) { a, _ in a })
                authentication.registrations[name]?.announced = true
                record(health[name]?.registrationSucceeded(now: now) ?? [])
            case .failed(let detail, let retryIn):
                logger.warning("trunk registration failed", metadata: metadata.merging([
                    "detail": "\(detail)", "retry_in_s": "\(retryIn.map { "\($0.components.seconds)" } ?? "-")",
                ]) { a, _ in a })
                authentication.registrations[name]?.announced = false
                record(health[name]?.registrationFailed(detail: "\(detail) (registrar \(binding.destination.host):"
                    + "\(binding.destination.port))", now: now) ?? [])
            case .stopped:
                logger.info("trunk registration stopped", metadata: metadata.merging([
                    "detail": "\(binding.machine.detail)",
                ]) { a, _ in a })
            }
        }
    }

    private mutating func sendRegister(trunk name: String, expires: Int, now: Duration) {
        guard var binding = authentication.registrations[name], let trunk = routing.trunk(named: name),
              let zone = settings.zones[trunk.zone]
        else { return }
        if let inFlight = binding.key { handle(transactions.abandonClient(inFlight), now: now) }
        binding.cseq &+= 1
        var register = SIPMessage.request(.register, uri: binding.requestURI)
        register.add(.via, zone.via(branch: ids.branch(), transport: binding.destination.transport).description)
        register.add(.maxForwards, String(settings.maxForwards))
        register.add(.from, "<\(binding.aor)>;tag=\(binding.fromTag)")
        register.add(.to, "<\(binding.aor)>")
        register.add(.callID, binding.callID)
        register.add(.cseq, "\(binding.cseq) REGISTER")
        register.add(.contact, binding.contact.description)
        register.add(.expires, String(expires))
        settings.identify(&register, as: .userAgent)
        register.set(.contentLength, "0")
        guard let key = TransactionKey.client(for: register) else { return }
        binding.key = key
        authentication.registrations[name] = binding
        let context = TransactionContext(destination: binding.destination, call: nil, purpose: .register(trunk: name))
        handle(transactions.startClient(register, reliable: binding.destination.isReliable, context: context, now: now),
               now: now)
    }

    /// The binding the registrar granted our Contact: the matching Contact's `expires`
    /// parameter, else (one Contact, or none matching) the Expires header (RFC 3261 10.2.4).
    static func grantedExpires(_ response: SIPMessage, for contact: SIPNameAddress) -> Int? {
        let contacts = response.contacts
        let ours = contacts.first { $0.uri.host == contact.uri.host && $0.uri.user == contact.uri.user
            && ($0.uri.port ?? 5060) == (contact.uri.port ?? 5060) } ?? (contacts.count == 1 ? contacts.first : nil)
        if let value = ours?.parameters[parameter: "expires"] ?? nil, let seconds = Int(value) { return seconds }
        return response.firstValue(.expires).flatMap { Int($0.trimmingWhitespace()) }
    }

    private mutating func recordRegistrations() {
        authentication.registrationDeadline = authentication.registrations.values.compactMap(\.machine.nextDeadline).min()
    }
}
