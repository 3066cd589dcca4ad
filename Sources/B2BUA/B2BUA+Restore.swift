import Logging
import Media
import Routing
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// Putting established calls back after a restart (docs/RESTART.md).
extension B2BUA {
    /// What became of the records handed to `restore`.
    public struct RestoreReport: Sendable, Equatable {
        /// Calls back in the call table, relaying media on their old ports.
        public var restored = 0
        /// Calls restored only to be ended at once (a relay port could not be taken): BYE to
        /// both legs and a CDR.
        public var torndown = 0
        /// Records that named a trunk or zone the configuration no longer has, or an unknown
        /// record version: dropped, their rows deleted.
        public var dropped = 0
    }

    /// Restores established calls from their snapshots (instants already on this process's
    /// monotonic clock, see `EstablishedCallRecord.rebased(by:)`). Call before any traffic: the
    /// records' relay ports are reserved in the allocator before a new call could take them.
    ///
    /// A restored session is armed with its media timeouts lengthened by `grace`: a call whose
    /// parties hung up while the SBC was down (their BYE lost) hears nothing and is ended after
    /// `grace` plus the media timeout, with BYE to both legs and a CDR; a live call's media
    /// resumes within a packet time and the timeouts apply again at its next change.
    public mutating func restore(_ records: [EstablishedCallRecord], grace: Duration,
                                 now: Duration) -> (outbound: [SIPOutbound], report: RestoreReport) {
        outbox.removeAll(keepingCapacity: true)
        var report = RestoreReport()
        for record in records {
            switch restoreCall(record, grace: grace, now: now) {
            case .restored: report.restored += 1
            case .torndown: report.torndown += 1
            case .dropped: report.dropped += 1
            }
        }
        if report != RestoreReport() {
            logger.notice("established calls restored", metadata: [
                "restored": "\(report.restored)", "torn_down": "\(report.torndown)", "dropped": "\(report.dropped)",
            ])
        }
        return (outbox, report)
    }

    private enum RestoreOutcome { case restored, torndown, dropped }

    private mutating func restoreCall(_ record: EstablishedCallRecord, grace: Duration, now: Duration) -> RestoreOutcome {
        guard record.version == EstablishedCallRecord.currentVersion,
              let callerTrunk = routing.trunk(named: record.caller.trunk),
              let carrierTrunk = routing.trunk(named: record.carrier.trunk),
              let a = restoredLeg(record.caller, side: .a, trunk: callerTrunk),
              let b = restoredLeg(record.carrier, side: .b, trunk: carrierTrunk),
              let callerKey = Self.recoveredKey(callID: record.caller.callID, index: nextCallHandle)
        else {
            logger.error("established call not restored", metadata: [
                "call_id": "\(record.caller.callID)", "why": "record version, trunk or zone unknown to this configuration",
            ])
            // Nothing to hang up with: the row goes, and the parties' own timers end the call.
            if recovery.enabled { recovery.orphans.append(record.key) }
            return .dropped
        }
        let handle = CallHandle(rawValue: nextCallHandle)
        nextCallHandle += 1
        let group = record.group.flatMap { routing.group(named: $0) }
        let route = RouteDecision(routeName: record.route, candidates: [carrierTrunk], group: group,
                                  critical: record.critical, profileOverride: record.profileOverride)
        let storedInvite = record.callerInvite.flatMap { try? SIPMessage(parsing: Array($0.utf8)) }
        let candidates = Call.Candidates(
            callerInvite: storedInvite ?? SIPMessage.request(.invite, uri: a.remoteTarget),
            remaining: record.remainingCandidates.compactMap { routing.trunk(named: $0) })
        let call = Call(handle: handle, a: a, route: route, candidates: candidates, callerKey: callerKey,
                        startedAt: Self.duration(record.startedAt))
        call.carrierLegs = [b]
        var reorigination: Call.Reorigination?
        if record.critical, storedInvite != nil, let group {
            reorigination = Call.Reorigination(candidates: candidates, settings: group.midCallFailover,
                                               failovers: record.failovers)
        }
        call.phase = .established(Call.Established(reorigination: reorigination))
        call.answeredAt = Self.duration(record.answeredAt)
        call.finalStatus = 200
        call.activeTrunk = carrierTrunk
        call.recovered = true
        call.attempts = record.attempts.map(Self.attemptSummary)
        calls[handle] = call
        dialogs[DialogKey(callID: a.callID, localTag: a.localTag)] = (handle, .a)
        dialogs[DialogKey(callID: b.callID, localTag: b.localTag)] = (handle, .carrier(0))
        availability.callStarted(on: carrierTrunk.name)
        if recovery.enabled {
            // Its row exists: a call ended before the next snapshot must still delete it, and
            // the first snapshot rewrites it with the CSeqs the restored legs now use.
            recovery.persisted[handle] = PersistedSnapshot(record)
            recovery.dirty.insert(handle)
        }
        for (side, dialog) in [(LegSide.a, record.caller), (.b, record.carrier)] {
            guard let timer = dialog.sessionTimer else { continue }
            start(SessionTimer(interval: .seconds(timer.intervalSeconds), refresher: timer.sbcRefreshes ? .sbc : .peer,
                               now: now, minSE: timer.minSE, peerAllowsUpdate: timer.peerAllowsUpdate),
                  on: side, of: call)
        }
        logger.notice("established call restored", metadata: metadata(call).merging([
            "trunk": "\(carrierTrunk.name)", "streams": "\(record.streams.count)",
        ]) { a, _ in a })
        guard restoreMedia(record, call: call, grace: grace) else {
            terminate(call: handle, reason: "SIP;cause=500;text=\"Media relay port lost in restart\"", now: now)
            return .torndown
        }
        return .restored
    }

    /// Reserves the record's relay ports and tells the relay about the session; false (and
    /// nothing held) when a port is not free.
    private mutating func restoreMedia(_ record: EstablishedCallRecord, call: Call, grace: Duration) -> Bool {
        guard let settings = settings.media, !record.streams.isEmpty else { return true }
        let pairs = record.streams.flatMap { [$0.portA, $0.portB] }.compactMap { $0.map(MediaPortPair.init(rtp:)) }
        var reserved: [MediaPortPair] = []
        for pair in pairs {
            guard ports.reserve(pair) else {
                logger.error("relay port not available after restart", metadata: metadata(call).merging([
                    "port": "\(pair.rtp)",
                ]) { a, _ in a })
                for taken in reserved { ports.release(taken, now: .zero) }
                return false
            }
            reserved.append(pair)
        }
        let session = MediaSessionID(rawValue: nextMediaSession)
        nextMediaSession &+= 1
        mediaSessions[session] = call.handle
        var origins: SidePair<SDPOriginState> = [:]
        for (side, dialog) in [(LegSide.a, record.caller), (.b, record.carrier)] {
            origins[side] = SDPOriginState(sessionID: dialog.originSessionID ?? ids.sdpSessionID(),
                                           address: call[side].zone.mediaAdvertised,
                                           addressType: call[side].zone.mediaAddressType,
                                           initialVersion: (dialog.originVersion ?? 0) + 1)
        }
        let worker = pairs.first.map { ports.worker(for: $0) } ?? 0
        var media = CallMedia(session: session, worker: worker, origins: origins)
        media.streams = record.streams.map(Self.stream)
        for (side, text) in [(LegSide.a, record.latchedA), (.b, record.latchedB)] {
            // The party's real source (behind NAT it differs from its SDP): media goes back there
            // at once instead of waiting for its first packet to re-latch.
            guard let text, let address = Self.mediaAddress(text), !media.streams.isEmpty,
                  media.streams[0].remote[side]?.rtp != nil else { continue }
            media.streams[0].remote[side]?.rtp = address
        }
        media.armed = true
        media.applied = true
        call.media = media
        var spec = media.spec(logID: call.logID, zones: (call.a.zone.mediaBind, call[.b].zone.mediaBind),
                              timeouts: settings.timeouts)
        addTelephoneEvents(to: &spec, call: call)
        setLatching(&spec, call: call)
        spec.timeouts.active = spec.timeouts.active.map { $0 + grace } ?? grace
        spec.timeouts.hold = spec.timeouts.hold.map { $0 + grace }
        mediaCommands.append(MediaInstruction(command: .apply(spec), worker: media.worker))
        return true
    }

    private func restoredLeg(_ dialog: EstablishedCallRecord.Dialog, side: LegSide, trunk: TrunkSettings) -> CallLeg? {
        guard let zone = settings.zones[dialog.zone], let local = SIPNameAddress.parse(dialog.localAddress),
              let remote = SIPNameAddress.parse(dialog.remoteAddress), let target = SIPURI(parsing: dialog.remoteTarget),
              let transport = TransportProtocol(rawValue: dialog.transport)
        else { return nil }
        var leg = CallLeg(
            side: side, callID: dialog.callID, localTag: dialog.localTag, remoteTag: dialog.remoteTag,
            localAddress: local, remoteAddress: remote, remoteTarget: target,
            routeSet: dialog.routeSet.compactMap(SIPNameAddress.parse),
            localCSeq: dialog.localCSeq &+ Self.recoveredCSeqMargin, remoteCSeq: dialog.remoteCSeq,
            peer: SIPEndpoint(host: dialog.peerHost, port: dialog.peerPort, transport: transport, zone: zone.name),
            trunk: trunk, zone: zone)
        if let localSDP = dialog.negotiatedLocal, let remoteSDP = dialog.negotiatedRemote,
           let sent = try? SessionDescription(parsing: Array(localSDP.utf8)),
           let received = try? SessionDescription(parsing: Array(remoteSDP.utf8))
        {
            leg.negotiation.sentOffer(sent)
            leg.negotiation.receivedAnswer(received)
        }
        return leg
    }

    /// A server-transaction key for a restored call's caller INVITE, which is long gone: unique,
    /// and matching no request that can arrive.
    private static func recoveredKey(callID: String, index: Int) -> TransactionKey? {
        var invite = SIPMessage.request(.invite, uri: SIPURI(host: "recovered.invalid"))
        invite.add(.via, "SIP/2.0/UDP recovered.invalid;branch=z9hG4bK-recovered-\(index)")
        invite.add(.callID, callID)
        invite.add(.cseq, "1 INVITE")
        return TransactionKey.server(for: invite)
    }

    private static func stream(_ record: EstablishedCallRecord.Stream) -> CallMedia.Stream {
        var ports: SidePair<MediaPortPair> = [:]
        ports[.a] = record.portA.map(MediaPortPair.init(rtp:))
        ports[.b] = record.portB.map(MediaPortPair.init(rtp:))
        var stream = CallMedia.Stream(ports: ports)
        stream.remote[.a] = record.remoteA.map(remote)
        stream.remote[.b] = record.remoteB.map(remote)
        stream.carriesRTP = record.carriesRTP
        for (side, keys) in [(LegSide.a, record.srtpA), (.b, record.srtpB)] {
            guard let keys, let settled = Self.keys(keys) else { continue }
            stream.security[side] = CallMedia.LegSecurity(settled: settled, positions: Self.positions(keys))
        }
        return stream
    }

    /// The stored SRTP positions; nil when the record has none (the contexts start afresh).
    private static func positions(_ record: EstablishedCallRecord.SRTPKeys) -> SRTPLegPositions? {
        guard record.inbound != nil || record.outbound != nil else { return nil }
        func positions(_ list: [EstablishedCallRecord.SRTPPosition]?) -> [SRTPStreamPosition] {
            (list ?? []).map { SRTPStreamPosition(ssrc: $0.ssrc, rtpIndex: $0.rtp, rtcpIndex: $0.rtcp) }
        }
        return SRTPLegPositions(inbound: positions(record.inbound), outbound: positions(record.outbound))
    }

    private static func remote(_ record: EstablishedCallRecord.Remote) -> CallMedia.Remote {
        CallMedia.Remote(
            rtp: record.rtpHost.flatMap { host in record.rtpPort.map { MediaAddress(host: host, port: $0) } },
            rtcp: record.rtcpHost.flatMap { host in record.rtcpPort.map { MediaAddress(host: host, port: $0) } },
            offersRTCPMux: record.offersRTCPMux, sends: record.sends, holding: record.holding,
            clockRate: record.clockRate)
    }

    static func keys(_ record: EstablishedCallRecord.SRTPKeys) -> SDESStreamKeys? {
        guard let suite = SRTPCryptoSuite(rawValue: record.suite) else { return nil }
        return SDESStreamKeys(suite: suite, remote: SDPCryptoKeyParameter(keyAndSalt: record.remoteKey),
                              local: SDPCryptoKeyParameter(keyAndSalt: record.localKey),
                              unencryptedSRTCP: record.unencryptedSRTCP,
                              remoteWindowSizeHint: record.remoteWindowSizeHint)
    }

    private static func attemptSummary(_ record: EstablishedCallRecord.Attempt) -> CallAttemptSummary {
        CallAttemptSummary(trunk: record.trunk, startedAt: duration(record.startedAt), responseCode: record.responseCode,
                           reason: record.reason, responseTime: record.responseTimeSeconds.map(duration),
                           outcome: CallAttemptSummary.Outcome(rawValue: record.outcome) ?? .answered,
                           endedAt: record.endedAt.map(duration))
    }

    /// "192.0.2.1:4000" or "[2001:db8::1]:4000".
    static func mediaAddress(_ text: String) -> MediaAddress? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return MediaAddress(host: host, port: port)
    }

    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
