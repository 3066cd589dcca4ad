import Foundation
import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// Established calls across a restart on the sans-IO B2BUA (docs/RESTART.md): the snapshots it
/// hands out on answer and on every change, and a fresh B2BUA (the restarted process) that
/// restores them, relays a later BYE from either side and cleans up calls that ended meanwhile.
@Suite struct RestartRecoveryTests {
    static let carrier = MediaAnchorTests.carrier
    static let platform = MediaAnchorTests.platform

    static func harness(critical: Bool = false) throws -> B2BUAHarness {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media, critical: critical)
        harness.b2bua.enableCallRecovery()
        return harness
    }

    static func saved(_ writes: [EstablishedCallWrite]) -> [EstablishedCallRecord] {
        writes.compactMap { if case .save(let record) = $0 { record } else { nil } }
    }

    /// An established call's snapshot, as the first process wrote it, through JSON like the server.
    static func snapshot() throws -> (record: EstablishedCallRecord, aTag: String, invite: SIPMessage) {
        var first = try harness()
        let (invite, _, aTag) = try MediaAnchorTests.establish(&first)
        let record = try #require(saved(first.b2bua.takeEstablishedCallWrites()).last)
        let decoded = try JSONDecoder().decode(EstablishedCallRecord.self, from: JSONEncoder().encode(record))
        return (decoded, aTag, invite)
    }

    /// A fresh B2BUA (the restarted SBC) with the snapshot restored.
    static func restored(_ records: [EstablishedCallRecord], grace: Duration = .seconds(10))
        throws -> (harness: B2BUAHarness, outbound: [SIPOutbound], report: B2BUA.RestoreReport)
    {
        var second = try harness()
        let (outbound, report) = second.b2bua.restore(records, grace: grace, now: second.now)
        second.sent += outbound
        return (second, outbound, report)
    }

    // MARK: Snapshots

    @Test func answerProducesOneSnapshotWithBothDialogsAndTheRelayPorts() throws {
        var harness = try Self.harness()
        let (invite, ok, aTag) = try MediaAnchorTests.establish(&harness)
        let writes = harness.b2bua.takeEstablishedCallWrites()
        let record = try #require(Self.saved(writes).first)
        #expect(writes.count == 1)
        #expect(record.key == "call-1@192.0.2.10;\(aTag)")
        #expect(record.caller.callID == "call-1@192.0.2.10" && record.caller.remoteTag == "pltag")
        #expect(record.caller.remoteTarget == "sip:agent@192.0.2.10:5060")
        #expect(record.caller.routeSet == ["<sip:proxy.platform.example;lr>"])
        #expect(record.carrier.trunk == "carrier-a" && record.carrier.remoteTag == "crtag")
        #expect(record.carrier.localTag == invite.from?.tag)
        #expect(record.carrier.remoteTarget == "sip:gw@198.51.100.11:5060")
        let stream = try #require(record.streams.first)
        #expect(Int(stream.portA ?? 0) == (try MediaAnchorTests.sdp(of: ok).media.first?.port))
        #expect(Int(stream.portB ?? 0) == (try MediaAnchorTests.sdp(of: invite).media.first?.port))
        #expect(stream.remoteB?.rtpHost == Self.carrier && stream.remoteB?.rtpPort == 5000)
        #expect(stream.remoteA?.rtpPort == 4000)
        #expect(record.carrier.negotiatedRemote?.contains("m=audio 5000") == true)
        #expect(harness.b2bua.takeEstablishedCallWrites().isEmpty, "nothing changed, nothing written")

        // An in-dialog INFO moves the platform's CSeq: the snapshot follows it.
        harness.receive(B2BUAHarness.platformRequest("INFO", toTag: aTag, cseq: 2, branch: "z9hG4bKinfo"))
        let again = Self.saved(harness.b2bua.takeEstablishedCallWrites())
        #expect(again.first?.caller.remoteCSeq == 2)
    }

    @Test func reinviteWithNewSDPUpdatesTheSnapshot() throws {
        var harness = try Self.harness()
        let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
        _ = harness.b2bua.takeEstablishedCallWrites()
        let moved = MediaAnchorTests.offer.replacingOccurrences(of: "m=audio 4000", with: "m=audio 4100")
            .replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
        let out = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre",
                                                                sdpBody: moved))
        let reinvite = try #require(out.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, sdpBody: MediaAnchorTests.answer),
                        from: B2BUAHarness.carrierA)
        let record = try #require(Self.saved(harness.b2bua.takeEstablishedCallWrites()).last)
        #expect(record.streams.first?.remoteA?.rtpPort == 4100)
        #expect(record.carrier.localCSeq == reinvite.cseq?.number)
    }

    @Test func midCallFailoverReplacesTheCarrierDialogInTheSnapshot() throws {
        var harness = try Self.harness(critical: true)
        let (_, _, _, spec) = try MidCallFailoverTests.establish(&harness)
        let before = try #require(Self.saved(harness.b2bua.takeEstablishedCallWrites()).last)
        #expect(before.critical && before.callerInvite?.hasPrefix("INVITE ") == true)
        #expect(before.remainingCandidates == ["carrier-b"])
        let out = harness.media(MidCallFailoverTests.timeout(spec))
        let inviteB = try #require(out.requests(.invite, to: MidCallFailoverTests.carrierB).first)
        #expect(harness.b2bua.takeEstablishedCallWrites().isEmpty, "the old snapshot stands while failing over")
        harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: MidCallFailoverTests.answerB),
                        from: B2BUAHarness.carrierB)
        let after = try #require(Self.saved(harness.b2bua.takeEstablishedCallWrites()).last)
        #expect(after.key == before.key)
        #expect(after.carrier.trunk == "carrier-b" && after.carrier.localTag == inviteB.from?.tag)
        #expect(after.streams.first?.remoteB?.rtpHost == MidCallFailoverTests.carrierB)
        #expect(after.streams.first?.portB != before.streams.first?.portB)
        #expect(after.failovers == 1 && after.remainingCandidates.isEmpty)
    }

    @Test func byeRemovesTheSnapshot() throws {
        var harness = try Self.harness()
        let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
        let record = try #require(Self.saved(harness.b2bua.takeEstablishedCallWrites()).first)
        let out = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye"))
        #expect(harness.b2bua.takeEstablishedCallWrites() == [.remove(key: record.key)], "ending: the row goes at once")
        let bye = try #require(out.requests(.bye, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: bye), from: B2BUAHarness.carrierA)
        #expect(harness.b2bua.takeEstablishedCallWrites().isEmpty)
        #expect(harness.b2bua.persistedCalls == 0)
    }

    /// With the first-write delay (as `sbc run` sets it) a call that ends within it never costs
    /// a write; one that lasts is written once the delay is over, even if nothing else happened.
    @Test func firstSnapshotWaitsForTheDelay() throws {
        var short = try B2BUAHarness(media: MediaAnchorTests.media)
        short.b2bua.enableCallRecovery(firstWriteDelay: .seconds(1))
        let (_, _, aTag) = try MediaAnchorTests.establish(&short)
        #expect(short.b2bua.takeEstablishedCallWrites(now: short.now).isEmpty, "held back after the answer")
        let due = try #require(short.b2bua.nextEstablishedCallWrite)
        #expect(due > short.now && due <= short.now + .seconds(1))
        let out = short.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye"))
        #expect(short.b2bua.takeEstablishedCallWrites(now: short.now).isEmpty, "ended before its first write: no row")
        _ = out
        #expect(short.b2bua.takeEstablishedCallWrites(now: due).isEmpty, "and none when it would have been due")
        #expect(short.b2bua.nextEstablishedCallWrite == nil && short.b2bua.persistedCalls == 0)

        var long = try B2BUAHarness(media: MediaAnchorTests.media)
        long.b2bua.enableCallRecovery(firstWriteDelay: .seconds(1))
        _ = try MediaAnchorTests.establish(&long)
        #expect(long.b2bua.takeEstablishedCallWrites(now: long.now).isEmpty)
        let at = try #require(long.b2bua.nextEstablishedCallWrite)
        let writes = long.b2bua.takeEstablishedCallWrites(now: at)
        #expect(Self.saved(writes).count == 1 && long.b2bua.persistedCalls == 1)
        #expect(long.b2bua.nextEstablishedCallWrite == nil)
    }

    @Test func withoutRecoveryNothingIsTracked() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media)
        _ = try MediaAnchorTests.establish(&harness)
        #expect(harness.b2bua.takeEstablishedCallWrites().isEmpty)
        #expect(harness.b2bua.recovery.dirty.isEmpty)
    }

    // MARK: Restore

    @Test func restoredCallRebindsItsPortsAndRelaysThePlatformsBye() throws {
        let (record, aTag, _) = try Self.snapshot()
        var (harness, outbound, report) = try Self.restored([record])
        #expect(report == B2BUA.RestoreReport(restored: 1))
        #expect(outbound.isEmpty, "nothing is sent on restore")
        #expect(harness.b2bua.activeCalls == 1)
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        let stream = try #require(spec.streams.first)
        #expect(stream.a.local.port == record.streams.first?.portA)
        #expect(stream.b.local.port == record.streams.first?.portB)
        #expect(stream.b.remoteRTP == MediaAddress(host: Self.carrier, port: 5000))
        #expect(stream.a.remoteRTP == MediaAddress(host: Self.platform, port: 4000))
        #expect(spec.armed)
        #expect(spec.timeouts.active == .seconds(14), "media timeout 4 s + grace 10 s")
        #expect(harness.b2bua.ports.inUse == 2)

        let out = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKrbye"))
        let bye = try #require(out.requests(.bye, to: Self.carrier).first)
        #expect(bye.to?.tag == "crtag" && bye.from?.tag == record.carrier.localTag)
        #expect(bye.requestURIText == "sip:gw@198.51.100.11:5060")
        #expect((bye.cseq?.number ?? 0) > record.carrier.localCSeq + B2BUA.recoveredCSeqMargin - 1)
        let done = harness.receive(B2BUAHarness.response(200, "OK", to: bye), from: B2BUAHarness.carrierA)
        #expect(done.responses(200, to: Self.platform).first?.cseq?.method == .bye)
        #expect(harness.b2bua.activeCalls == 0)
        harness.media(.closed(spec.id, MediaSessionStatistics()))
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.recovered && summary.disposition == .answered && summary.endedBy == "caller")
        #expect(abs(RestartRecoveryTests.seconds(summary.startedAt) - record.startedAt) < 0.001,
                "the CDR keeps the original start")
        #expect(summary.attempts.first?.outcome == .answered)
    }

    @Test func restoredCallRelaysTheCarriersBye() throws {
        let (record, _, invite) = try Self.snapshot()
        var (harness, _, _) = try Self.restored([record])
        let out = harness.receive(B2BUAHarness.carrierBye(for: invite, cseq: 9), from: B2BUAHarness.carrierA)
        let bye = try #require(out.requests(.bye, to: Self.platform).first)
        #expect(bye.to?.tag == "pltag" && bye.callID == "call-1@192.0.2.10")
        #expect(bye.requestURIText == "sip:agent@192.0.2.10:5060")
        #expect(bye.values(.route) == ["<sip:proxy.platform.example;lr>"])
        let done = harness.receive(B2BUAHarness.platformOK(to: bye))
        #expect(done.responses(200, to: Self.carrier).count == 1)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func callThatEndedWhileDownIsClosedByTheMediaTimeoutAfterTheGrace() throws {
        let (record, _, _) = try Self.snapshot()
        var (harness, _, _) = try Self.restored([record], grace: .seconds(5))
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.timeouts.active == .seconds(9))
        let out = harness.media(.timeout(spec.id, side: .a, silence: .seconds(9)))
        #expect(out.requests(.bye, to: Self.platform).count == 1)
        #expect(out.requests(.bye, to: Self.carrier).count == 1)
        #expect(harness.b2bua.takeEstablishedCallWrites() == [.remove(key: record.key)])
        harness.media(.closed(spec.id, MediaSessionStatistics()))
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.recovered && summary.disposition == .mediaTimeout)
    }

    @Test func aPortThatCannotBeTakenTearsTheCallDownBothWays() throws {
        let (record, _, _) = try Self.snapshot()
        var twin = record
        twin.key = "other;tag"
        twin.caller.callID = "call-2@192.0.2.10"
        twin.carrier.localTag = "other-b"
        twin.caller.localTag = "other-a"
        let (harness, outbound, report) = try Self.restored([record, twin])
        #expect(report == B2BUA.RestoreReport(restored: 1, torndown: 1))
        #expect(outbound.requests(.bye, to: Self.platform).map(\.callID) == ["call-2@192.0.2.10"])
        #expect(outbound.requests(.bye, to: Self.carrier).count == 1)
        var second = harness
        #expect(second.b2bua.takeEstablishedCallWrites().contains(.remove(key: twin.key)), "the torn-down call's row goes")
        let summary = try #require(second.b2bua.takeFinishedCalls().first)
        #expect(summary.recovered && summary.callID == "call-2@192.0.2.10")
        #expect(second.b2bua.activeCalls == 1 && second.b2bua.ports.inUse == 2)
    }

    @Test func srtpKeysSurviveTheRoundTrip() throws {
        var (record, _, _) = try Self.snapshot()
        let keys = EstablishedCallRecord.SRTPKeys(suite: "AES_CM_128_HMAC_SHA1_80", remoteKey: Array(1...30),
                                                  localKey: Array(31...60), unencryptedSRTCP: false,
                                                  remoteWindowSizeHint: 128)
        record.streams[0].srtpA = keys
        let decoded = try JSONDecoder().decode(EstablishedCallRecord.self, from: JSONEncoder().encode(record))
        #expect(decoded == record)
        #expect(!decoded.description.contains("AAECAw"), "the description names no key")
        var (harness, _, _) = try Self.restored([decoded])
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        let srtp = try #require(spec.streams.first?.a.srtp)
        #expect(srtp.suite == .aesCM128HMACSHA1_80)
        #expect(srtp.remote.keyAndSalt == Array(1...30) && srtp.local.keyAndSalt == Array(31...60))
        #expect(srtp.remoteWindowSizeHint == 128)
        #expect(spec.streams.first?.b.srtp == nil)
        #expect(spec.streams.first?.a.srtpResume == nil, "a record without positions starts the contexts afresh")
    }

    /// The relay's position reports reach the snapshot, and a restored call hands them back to
    /// the relay with its keys, so rollover counters carry on past a restart.
    @Test func srtpPositionsReachTheSnapshotAndComeBack() throws {
        var (record, _, _) = try Self.snapshot()
        record.streams[0].srtpA = EstablishedCallRecord.SRTPKeys(
            suite: "AEAD_AES_128_GCM", remoteKey: Array(1...28), localKey: Array(31...58), unencryptedSRTCP: false,
            remoteWindowSizeHint: nil, inbound: [.init(ssrc: 7, rtp: 3 << 16 | 5, rtcp: 40)],
            outbound: [.init(ssrc: 9, rtp: 2 << 16 | 9000, rtcp: nil)])
        var (harness, _, _) = try Self.restored([record])
        let spec = try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
        let side = try #require(spec.streams.first?.a)
        let keys = try #require(side.srtp)
        #expect(side.srtpResume == SRTPLegPositions(
            inbound: [SRTPStreamPosition(ssrc: 7, rtpIndex: 3 << 16 | 5, rtcpIndex: 40)],
            outbound: [SRTPStreamPosition(ssrc: 9, rtpIndex: 2 << 16 | 9000, rtcpIndex: nil)]))
        _ = harness.b2bua.takeEstablishedCallWrites()

        let moved = SRTPLegPositions(inbound: [SRTPStreamPosition(ssrc: 7, rtpIndex: 4 << 16 | 1, rtcpIndex: 52)],
                                     outbound: [SRTPStreamPosition(ssrc: 9, rtpIndex: 3 << 16 | 2, rtcpIndex: 3)])
        _ = harness.b2bua.mediaEvent(.srtpPositions(spec.id, stream: 0, side: .a, moved, keys: keys.hashValue &+ 1),
                                     now: harness.now)
        #expect(harness.b2bua.takeEstablishedCallWrites().isEmpty, "a report about other keys is dropped")
        _ = harness.b2bua.mediaEvent(.srtpPositions(spec.id, stream: 0, side: .a, moved, keys: keys.hashValue),
                                     now: harness.now)
        let saved = try #require(Self.saved(harness.b2bua.takeEstablishedCallWrites()).first)
        #expect(saved.streams[0].srtpA?.inbound == [.init(ssrc: 7, rtp: 4 << 16 | 1, rtcp: 52)])
        #expect(saved.streams[0].srtpA?.outbound == [.init(ssrc: 9, rtp: 3 << 16 | 2, rtcp: 3)])
        #expect(saved.streams[0].srtpA?.remoteKey == Array(1...28))
    }

    @Test func rebasingMovesEveryInstant() throws {
        let (record, _, _) = try Self.snapshot()
        let wall = record.rebased(by: 1_700_000_000)
        #expect(wall.startedAt == record.startedAt + 1_700_000_000)
        #expect(wall.attempts.first?.startedAt == record.attempts.first.map { $0.startedAt + 1_700_000_000 })
        #expect(wall.rebased(by: -1_700_000_000) == record)
    }

    @Test func recordsNamingUnknownTrunksAreDroppedAndTheirRowsDeleted() throws {
        var (record, _, _) = try Self.snapshot()
        record.carrier.trunk = "gone"
        var (harness, _, report) = try Self.restored([record])
        #expect(report == B2BUA.RestoreReport(dropped: 1))
        #expect(harness.b2bua.takeEstablishedCallWrites() == [.remove(key: record.key)])
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
