import CSBCLinux
import Media
import SDP
import SRTP

extension RelayWorker {
    // MARK: - Commands

    /// Brings leg `legIndex` to `keys` (nil: plain). Keys the leg already holds keep their
    /// contexts, so every SSRC's rollover counter and replay window survive a re-INVITE that
    /// keeps the keys; other keys swap in the contexts the setup thread prepared with the
    /// command, and the old ones go to `retiredSRTP` to be freed off the worker.
    func setSRTP(leg legIndex: Int32, spec: MediaLegSpec, keys: SDESStreamKeys?, stream: Int, prepared: RelayCommand,
                 session: RelaySession) {
        guard legs.srtp[Int(legIndex)]?.keys != keys else { return }
        let side = legs.leg(legIndex).pointee.side
        var next: RelayLegSRTP?
        if let keys {
            if let ready = prepared.prepared(stream: stream, side: side, keys: keys) {
                next = ready
            } else {
                // The gate prepares every change of keys; this happens only when the worker
                // does not hold what the gate believes (a create that failed, then re-applied).
                session.logger.warning("media SRTP contexts built on the media worker", metadata: [
                    "side": "\(side)", "stream": "\(stream)",
                ])
                next = RelayLegSRTP(keys: keys, resume: spec.srtpResume)
            }
        }
        if let old = legs.setSRTP(next, leg: legIndex) {
            retiredSRTP.append(old)
        }
        if let failure = next?.failure {
            // Nothing is relayed to or from the side (never in the clear): the call cannot go on.
            session.logger.error("media SRTP setup failed", metadata: [
                "side": "\(side)", "stream": "\(stream)", "error": "\(failure)",
            ])
            events(.failed(session.id, reason: "media relay SRTP setup failed on side \(side): \(failure)", port: nil))
        } else {
            session.logger.debug("media SRTP keys set", metadata: [
                "side": "\(side)", "stream": "\(stream)", "suite": "\(keys.map { "\($0.suite)" } ?? "plain")",
            ])
        }
    }

    // MARK: - Positions for restarts

    /// Nanoseconds between scans for positions to report: one pass over the sessions a second,
    /// while a position needs reporting only every few thousand packets.
    static let srtpPositionScanInterval: UInt64 = 1_000_000_000

    /// Reports the SRTP positions of every side whose streams moved on by a reporting step (or
    /// appeared) since the last report, so signalling keeps them in the call's restart snapshot
    /// (docs/RESTART.md). From the tick, never the packet path.
    func reportSRTPPositions() {
        for case let session? in sessions {
            for stream in session.streams {
                for side in MediaSide.allCases {
                    let index = 2 * stream.slot + Int32(side.rawValue)
                    guard let srtp = legs.srtp[Int(index)] else { continue }
                    let mark = srtp.progressMark
                    guard mark != srtp.reportedMark else { continue }
                    legs.noteSRTPReported(mark, leg: index)
                    events(.srtpPositions(session.id, stream: stream.spec.index, side: side, srtp.positions,
                                          keys: srtp.keys.hashValue))
                }
            }
        }
    }

    // MARK: - Packets

    /// The latch decision and the SRTP work for one valid RTP/RTCP packet of a stream where
    /// either side speaks SRTP; the packet loop's only detour from the plain path.
    ///
    /// Order: the latch decides on a copy (a stranger is refused before any crypto, so it
    /// costs nothing and cannot touch the replay window); a packet from a secure side is
    /// unprotected, i.e. authenticated and replay-checked; one towards a secure side that has
    /// somewhere to go is protected; only then is the copy stored. A packet that fails any step
    /// is dropped and counted and leaves the latch as it was: a forged or replayed packet never
    /// latches a port or moves a latch (rtpengine CVE-2025-53399), and since the caller stamps
    /// activity only for what this admits, it never counts for the media timeout either.
    ///
    /// Returns `.rejected` for every packet to drop. `prepare`: the packet is an event of this
    /// side or goes to a peer whose sequence numbers moved; in the clear, between unprotecting
    /// and protecting, it takes `RelayWorker.prepareTowardsPeer`, which may decide not to relay
    /// it (`forward` false; it still latches, it was authentic).
    @inline(__always)
    static func admitSRTP(_ packet: UnsafeMutablePointer<csbc_relay_packet>, from leg: UnsafeMutablePointer<RelayLeg>,
                          to peer: UnsafeMutablePointer<RelayLeg>, source: MediaEndpoint, isRTP: Bool,
                          rtcpLatch: Bool, destination: UnsafePointer<csbc_relay_destination>, prepare: Bool,
                          worker: RelayWorker, offset: inout UInt16, forward: inout Bool,
                          now: UInt64) -> SourceLatch.Verdict {
        var latch = rtcpLatch ? leg.pointee.rtcpLatch : leg.pointee.rtpLatch
        let verdict = latch.admit(source)
        if verdict != .rejected {
            if leg.pointee.isSecure, !crypt(packet, protecting: false, isRTP: isRTP, leg: leg) { return .rejected }
            if prepare { forward = worker.prepareTowardsPeer(packet, from: leg, to: peer, offset: &offset, now: now) }
            if forward, peer.pointee.isSecure, destination.pointee.address_length != 0,
               !crypt(packet, protecting: true, isRTP: isRTP, leg: peer) {
                return .rejected
            }
        }
        if rtcpLatch { leg.pointee.rtcpLatch = latch } else { leg.pointee.rtpLatch = latch }
        return verdict
    }

    /// Unprotects (with the sending side's inbound context) or protects (with the receiving
    /// side's outbound context, using the slot's tail room) in place, and sets the packet's new
    /// length; false when the packet must be dropped, counted on `leg`, the side whose context
    /// failed.
    @inline(__always)
    private static func crypt(_ packet: UnsafeMutablePointer<csbc_relay_packet>, protecting: Bool, isRTP: Bool,
                              leg: UnsafeMutablePointer<RelayLeg>) -> Bool {
        guard let context = protecting ? leg.pointee.srtpOutbound : leg.pointee.srtpInbound else {
            leg.pointee.srtpErrors &+= 1   // the contexts could not be built
            return false
        }
        let length = Int(packet.pointee.length)
        // Protecting may use the whole slot: receives never fill its last CSBC_RELAY_TAIL_ROOM
        // (160) bytes, more than the 148 any SRTP context may append to RTCP (tag, 128-byte MKI
        // and index).
        let buffer = UnsafeMutableRawBufferPointer(start: packet.pointee.data,
                                                   count: protecting ? RelayWorker.slotBytes : length)
        // A non-throwing closure returning a Result: the typed error stays a plain value (no
        // boxing allocation per forged packet), and the guaranteed reference costs no retain.
        let result = context._withUnsafeGuaranteedRef { context -> Result<Int, SRTPPacketError> in
            do throws(SRTPPacketError) {
                switch (protecting, isRTP) {
                case (false, true): return .success(try context.unprotectRTP(buffer, length: length))
                case (false, false): return .success(try context.unprotectRTCP(buffer, length: length))
                case (true, true): return .success(try context.protectRTP(buffer, length: length))
                case (true, false): return .success(try context.protectRTCP(buffer, length: length))
                }
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let newLength):
            packet.pointee.length = UInt32(truncatingIfNeeded: newLength)
            return true
        case .failure(let error):
            count(error, on: leg)
            return false
        }
    }

    @inline(never)
    private static func count(_ error: SRTPPacketError, on leg: UnsafeMutablePointer<RelayLeg>) {
        switch error {
        case .authenticationFailed: leg.pointee.srtpAuthFailures &+= 1
        case .replayed, .replayTooOld: leg.pointee.srtpReplays &+= 1
        default: leg.pointee.srtpErrors &+= 1
        }
    }
}
