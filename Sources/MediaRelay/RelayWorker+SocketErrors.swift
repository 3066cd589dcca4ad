import CSBCLinux
import Logging
import Media
import SBCSystem

extension RelayWorker {
    /// Empties (up to `maxErrorsPerWake`) the error queue of one of `leg`'s sockets and charges
    /// the unreachable errors that name the leg's party to its session's side.
    ///
    /// A socket of leg L only ever sends to L's party, at the destinations the leg table holds
    /// for it, so an error is that party's when it names the RTP one: the latched source, or the
    /// signalled address before latching. An error for an address the leg no longer sends to
    /// (the carrier a failover replaced, a party that moved) is only counted relay-wide, and so
    /// is one for the party's RTCP port: plenty of endpoints never open it, and a dead process
    /// or host shows on the RTP port anyway.
    @inline(never)
    func takeSocketErrors(leg index: Int32, isRTCPSocket: Bool) {
        let leg = legs.leg(index)
        let fd = isRTCPSocket ? leg.pointee.rtcpFD : leg.pointee.rtpFD
        let rtp = UnsafePointer(legs.rtpDestination(towards: index))
        var matched = 0
        forEachUnreachable(on: fd) { info in
            if csbc_relay_destination_matches(rtp, &info.destination, info.destination_length) != 0 { matched += 1 }
        }
        guard matched > 0 else { return }
        chargeUnreachable(leg: leg, errors: matched)
    }

    /// Counts `errors` against the side of `leg`'s session and queues the session for reporting.
    private func chargeUnreachable(leg: UnsafeMutablePointer<RelayLeg>, errors: Int) {
        guard leg.pointee.session >= 0, let session = sessions[Int(leg.pointee.session)] else { return }
        session.unreachableErrors[leg.pointee.side.rawValue] += errors
        if !session.unreachableQueued {
            session.unreachableQueued = true
            unreachableSessions.append(session.slot)
        }
    }

    /// `lookup` layout: the kernel finds the socket an ICMP error belongs to with the same lookup
    /// as a packet's, so sk_lookup hands errors for datagrams sent from steered port sockets to
    /// the worker's receive socket. An error names the party (the datagram's destination) but not
    /// the port that sent it, so it is charged to every steered leg of the worker whose RTP
    /// destination it names: the same leg as per_port when parties have distinct addresses, all
    /// the legs sending there when several share one (they all send to the same dead party).
    /// Scans the worker's legs once per error; errors are rare, and bounded per wake-up.
    @inline(never)
    func takeLookupErrors() {
        forEachUnreachable(on: lookupFD) { info in
            for index in 0..<Int32(legs.legLimit) {
                let leg = legs.leg(index)
                guard leg.pointee.session >= 0, leg.pointee.rtpSteeredPort != 0 || leg.pointee.rtcpSteeredPort != 0 else {
                    continue
                }
                let rtp = UnsafePointer(legs.rtpDestination(towards: index))
                if csbc_relay_destination_matches(rtp, &info.destination, info.destination_length) != 0 {
                    chargeUnreachable(leg: leg, errors: 1)
                }
            }
        }
    }

    /// Drains at most `maxErrorsPerWake` errors from `fd`'s error queue, counts the ICMP
    /// unreachables and hands each to `body`.
    private func forEachUnreachable(on fd: Int32, _ body: (inout csbc_socket_error_info) -> Void) {
        var info = csbc_socket_error_info()
        var taken = 0
        while taken < RelayWorker.maxErrorsPerWake {
            do throws(SystemError) {
                guard try SocketErrorQueue.take(fd, into: &info) else { break }
            } catch {
                logger.warning("media error queue unreadable", metadata: ["error": "\(error)"])
                break
            }
            taken += 1
            guard info.isICMPUnreachable else { continue }
            icmpErrorCount &+= 1
            body(&info)
        }
    }

    /// Sends `.unreachable` for session sides with errors not yet reported, at most one per side
    /// per tick: the first after a quiet tick leaves at the end of the wake-up that read it, so
    /// signalling hears of a dead party within a packet interval; while errors keep coming the
    /// rest are added up and leave with the next tick (run from `tick` after `tickNumber` moved
    /// on), so a dead party at 50 packets/s costs signalling 20 events/s, not 50.
    func reportUnreachable() {
        var kept = 0
        for position in unreachableSessions.indices {
            let slot = unreachableSessions[position]
            guard let session = sessions[Int(slot)], session.unreachableQueued else { continue }
            var waiting = false
            for side in MediaSide.allCases {
                let errors = session.unreachableErrors[side.rawValue]
                guard errors > 0 else { continue }
                guard session.unreachableReportedTick[side.rawValue] != tickNumber else {
                    waiting = true
                    continue
                }
                session.unreachableErrors[side.rawValue] = 0
                session.unreachableReportedTick[side.rawValue] = tickNumber
                session.logger.debug("media unreachable", metadata: ["side": "\(side)", "icmp_errors": "\(errors)"])
                events(.unreachable(session.id, side: side, errors: errors))
            }
            if waiting {
                unreachableSessions[kept] = slot
                kept += 1
            } else {
                session.unreachableQueued = false
            }
        }
        unreachableSessions.removeLast(unreachableSessions.count - kept)
    }

    /// A session leaving the worker takes its unreported errors with it: whoever destroyed it
    /// no longer asks about its parties.
    func forgetUnreachable(_ session: RelaySession) {
        guard session.unreachableQueued else { return }
        session.unreachableQueued = false
        let slot = session.slot
        unreachableSessions.removeAll { $0 == slot }
    }
}
