import Logging
import Media
import Routing
import SBCConfig
import SDP
import SIPCore
import SIPTransaction

/// Established calls survive a restart (docs/RESTART.md): the B2BUA hands the driver a snapshot
/// of every established call whenever it changes (`takeEstablishedCallWrites`), and a new
/// process puts them back (`restore`) before it takes any traffic, so the relay rebinds the
/// same ports and a later BYE or re-INVITE from either side finds its dialog.
///
/// Sans-IO like the rest: the records go out as values; the driver stores them (the state
/// database, through its writer thread) and reads them back.
extension B2BUA {
    /// Added to each leg's last stored CSeq on restore: requests the SBC sent after the last
    /// snapshot was written (a session refresh, a keepalive) are unknown, and a CSeq that does
    /// not grow is refused by the peer (RFC 3261 12.2.1.1).
    public static let recoveredCSeqMargin: UInt32 = 100

    /// The first snapshot of a call waits this long after its answer (`sbc run` uses it).
    ///
    /// Why: a call that ends within it never costs a write and a delete on the state thread. At
    /// high call rates with short calls (bench/cps.sh holds none) that pair was about a fifth
    /// of the SBC's CPU per call; a call answered less than this before a crash is not restored
    /// (its parties' own timers end it), which docs/RESTART.md lists under what is lost.
    public static let firstSnapshotDelay: Duration = .seconds(1)

    /// Turns snapshots on: from now on every established call's changes become writes, the first
    /// once the call has been up for `firstWriteDelay`.
    public mutating func enableCallRecovery(firstWriteDelay: Duration = .zero) {
        recovery.enabled = true
        recovery.firstWriteDelay = firstWriteDelay
    }

    /// Snapshots to write (and rows to delete) since the last call, oldest change first per call.
    /// `now` applies the first-write delay (nil: none): a call it holds back waits in a queue in
    /// answer order, costing nothing until it falls due (``nextEstablishedCallWrite``).
    public mutating func takeEstablishedCallWrites(now: Duration? = nil) -> [EstablishedCallWrite] {
        guard recovery.enabled else { return [] }
        if let now { recovery.releaseDueFirstWrites(now: now) }
        guard !recovery.dirty.isEmpty || !recovery.orphans.isEmpty else { return [] }
        var writes = recovery.orphans.map { EstablishedCallWrite.remove(key: $0) }
        recovery.orphans.removeAll()
        for handle in recovery.dirty {
            if let call = calls[handle], case .failingOver = call.phase {
                continue  // The old leg's snapshot stands until the new leg answers.
            }
            if let now, let call = calls[handle], recovery.persisted[handle] == nil,
               case .established = call.phase, let answeredAt = call.answeredAt,
               now < answeredAt + recovery.firstWriteDelay
            {
                recovery.holdFirstWrite(handle, due: answeredAt + recovery.firstWriteDelay)
                continue
            }
            if let call = calls[handle], let record = establishedRecord(of: call) {
                let snapshot = PersistedSnapshot(record)
                guard recovery.persisted[handle] != snapshot else { continue }
                recovery.persisted[handle] = snapshot
                writes.append(.save(record))
            } else {
                if calls[handle] == nil { recovery.latched[handle] = nil }
                if let old = recovery.persisted.removeValue(forKey: handle) { writes.append(.remove(key: old.key)) }
            }
        }
        recovery.dirty.removeAll(keepingCapacity: true)
        return writes
    }

    /// When a first snapshot held back by the delay falls due; nil when none is.
    public var nextEstablishedCallWrite: Duration? { recovery.nextFirstWrite }

    /// Calls whose snapshot is stored now (for metrics and tests).
    public var persistedCalls: Int { recovery.persisted.count }

    // MARK: Marks

    /// A message of one of a call's dialogs was handled: the call may have changed.
    mutating func noteDialogActivity(_ message: SIPMessage) {
        guard recovery.enabled, let callID = message.callID,
              let tag = message.isRequest ? message.to?.tag : message.from?.tag,
              let entry = dialogs[DialogKey(callID: callID, localTag: tag)]
        else { return }
        recovery.dirty.insert(entry.call)
    }

    /// The call is gone: its row goes too.
    mutating func noteCallEnded(_ handle: CallHandle) {
        guard recovery.enabled else { return }
        recovery.dirty.insert(handle)
    }

    mutating func noteLatched(_ call: Call, side: LegSide, source: MediaAddress) {
        guard recovery.enabled else { return }
        recovery.latched[call.handle, default: [:]][side] = source
        recovery.dirty.insert(call.handle)
    }

    /// The relay reported where one side's SRTP streams stand under `keys` (their hash value):
    /// kept with the settled keys, so a restart resumes their rollover counters. A report about
    /// keys already replaced is dropped.
    mutating func srtpPositionsReported(_ call: Call, stream index: Int, side: LegSide, positions: SRTPLegPositions,
                                        keys: Int) {
        guard let media = call.media, media.streams.indices.contains(index),
              let settled = media.streams[index].security[side]?.settled, settled.hashValue == keys
        else { return }
        call.media?.streams[index].security[side]?.positions = positions
        guard recovery.enabled else { return }
        recovery.dirty.insert(call.handle)
    }

    // MARK: Snapshot

    /// The call as a record; nil unless it is established with an answered carrier leg.
    func establishedRecord(of call: Call) -> EstablishedCallRecord? {
        guard case .established(let established) = call.phase, let carrier = call.carrierLegs.last,
              let answeredAt = call.answeredAt
        else { return nil }
        let latched = recovery.latched[call.handle]
        let reorigination = established.reorigination
        return EstablishedCallRecord(
            key: EstablishedCallRecord.key(callID: call.a.callID, localTag: call.a.localTag),
            route: call.route.routeName, critical: call.route.critical, group: call.route.group?.name,
            profileOverride: call.route.profileOverride,
            caller: Self.dialogRecord(call.a, origin: call.media?.origins[.a]),
            carrier: Self.dialogRecord(carrier, origin: call.media?.origins[.b]),
            startedAt: Self.seconds(call.startedAt), answeredAt: Self.seconds(answeredAt),
            attempts: call.attempts.map(Self.attemptRecord),
            streams: call.media?.streams.map(Self.streamRecord) ?? [],
            latchedA: latched?[.a]?.description, latchedB: latched?[.b]?.description,
            callerInvite: reorigination.map { String(decoding: $0.candidates.callerInvite.serialized(), as: UTF8.self) },
            remainingCandidates: reorigination?.candidates.remaining.map(\.name) ?? [],
            failovers: reorigination?.failovers ?? 0)
    }

    static func dialogRecord(_ leg: CallLeg, origin: SDPOriginState?) -> EstablishedCallRecord.Dialog {
        let negotiated = leg.negotiation.negotiated
        return EstablishedCallRecord.Dialog(
            trunk: leg.trunk.name, zone: leg.zone.name, callID: leg.callID, localTag: leg.localTag,
            remoteTag: leg.remoteTag, localAddress: leg.localAddress.description,
            remoteAddress: leg.remoteAddress.description, remoteTarget: leg.remoteTarget.description,
            routeSet: leg.routeSet.map(\.description), localCSeq: leg.localCSeq, remoteCSeq: leg.remoteCSeq,
            peerHost: leg.peer.host, peerPort: leg.peer.port, transport: leg.peer.transport.rawValue,
            negotiatedLocal: negotiated.map { String(decoding: $0.local.serialized(), as: UTF8.self) },
            negotiatedRemote: negotiated.map { String(decoding: $0.remote.serialized(), as: UTF8.self) },
            originSessionID: origin?.sessionID, originVersion: origin?.sessionVersion,
            sessionTimer: leg.sessionTimer.map {
                EstablishedCallRecord.SessionTimerRecord(intervalSeconds: $0.interval.components.seconds,
                                                         sbcRefreshes: $0.refresher == .sbc, minSE: $0.minSE,
                                                         peerAllowsUpdate: $0.peerAllowsUpdate)
            })
    }

    static func streamRecord(_ stream: CallMedia.Stream) -> EstablishedCallRecord.Stream {
        EstablishedCallRecord.Stream(
            portA: stream.ports[.a]?.rtp, portB: stream.ports[.b]?.rtp,
            remoteA: stream.remote[.a].map(remoteRecord), remoteB: stream.remote[.b].map(remoteRecord),
            carriesRTP: stream.carriesRTP,
            srtpA: stream.security[.a].flatMap(keysRecord), srtpB: stream.security[.b].flatMap(keysRecord))
    }

    static func remoteRecord(_ remote: CallMedia.Remote) -> EstablishedCallRecord.Remote {
        EstablishedCallRecord.Remote(rtpHost: remote.rtp?.host, rtpPort: remote.rtp?.port, rtcpHost: remote.rtcp?.host,
                                     rtcpPort: remote.rtcp?.port, offersRTCPMux: remote.offersRTCPMux,
                                     sends: remote.sends, holding: remote.holding, clockRate: remote.clockRate)
    }

    static func keysRecord(_ security: CallMedia.LegSecurity) -> EstablishedCallRecord.SRTPKeys? {
        guard let keys = security.settled else { return nil }
        func positions(_ list: [SRTPStreamPosition]?) -> [EstablishedCallRecord.SRTPPosition]? {
            list.map { $0.map { EstablishedCallRecord.SRTPPosition(ssrc: $0.ssrc, rtp: $0.rtpIndex, rtcp: $0.rtcpIndex) } }
        }
        return EstablishedCallRecord.SRTPKeys(
            suite: keys.suite.rawValue, remoteKey: keys.remote.keyAndSalt, localKey: keys.local.keyAndSalt,
            unencryptedSRTCP: keys.unencryptedSRTCP, remoteWindowSizeHint: keys.remoteWindowSizeHint,
            inbound: positions(security.positions?.inbound), outbound: positions(security.positions?.outbound))
    }

    static func attemptRecord(_ attempt: CallAttemptSummary) -> EstablishedCallRecord.Attempt {
        EstablishedCallRecord.Attempt(trunk: attempt.trunk, startedAt: seconds(attempt.startedAt),
                                      responseCode: attempt.responseCode, reason: attempt.reason,
                                      responseTimeSeconds: attempt.responseTime.map(seconds),
                                      outcome: attempt.outcome.rawValue, endedAt: attempt.endedAt.map(seconds))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
