import Media
import SRTP

/// The per-packet state of one side of one stream, kept in the worker's flat leg table.
///
/// Only plain integers and value types of them (no strong references, no strings), so the packet
/// loop reads and updates it through a pointer without reference counting. The SRTP contexts are
/// unmanaged references: the leg's `RelayLegTable.srtp` entry owns them and is always changed
/// together with them. Legs come in pairs (a at an even index, b at the next), so the other side
/// of a stream is `index ^ 1`.
///
/// The leg also owns its sockets' descriptors: an epoll event names the leg directly (see
/// `RelayEpollToken`), so readiness costs one cache line, the one the packet loop needs anyway.
struct RelayLeg {
    /// Slot of the owning `RelaySession` in the worker's session table; -1 = free.
    var session: Int32 = -1
    /// The stream's m= line index, for logs.
    var stream: Int32 = 0
    var side: MediaSide = .a
    /// The RTP port's socket (also carries RTCP under rtcp-mux); -1 when not open.
    var rtpFD: Int32 = -1
    /// The RTCP port's socket; -1 when not open, which includes rtcp-mux.
    var rtcpFD: Int32 = -1
    /// Which opening of each socket epoll events must name; 0 = not open. A closed socket's
    /// events still queued in the same epoll batch then never match its leg's next socket.
    var rtpGeneration: UInt32 = 0
    var rtcpGeneration: UInt32 = 0
    /// `lookup` layout: the ports whose packets sk_lookup steers to the worker's receive socket
    /// (the port sockets are then not read); 0 = not steered.
    var rtpSteeredPort: UInt16 = 0
    var rtcpSteeredPort: UInt16 = 0
    /// Address family of the leg's sockets, for encoding destinations.
    var family: Int32 = 0
    var rtpLatch: SourceLatch
    var rtcpLatch: SourceLatch
    var clockRate: UInt32 = 8000
    /// See `MediaStreamSpec.carriesRTP`.
    var carriesRTP = true
    /// CLOCK_MONOTONIC of the last accepted RTP packet's batch; 0 = none yet.
    var lastRTPNanoseconds: UInt64 = 0
    /// Either side of this stream speaks SRTP: the one flag the packet loop tests, so a plain
    /// stream pays a predictable branch and nothing else.
    var streamHasSRTP = false
    /// This side speaks SRTP: what it sends is unprotected with `srtpInbound` before anything
    /// else looks at it, what goes to it is protected with `srtpOutbound`. Secure with nil
    /// contexts means they could not be built: everything from and to the side is dropped.
    var isSecure = false
    var srtpInbound: Unmanaged<SRTPContext>?
    var srtpOutbound: Unmanaged<SRTPContext>?

    var packetsReceived: UInt64 = 0
    var bytesReceived: UInt64 = 0
    var packetsForwarded: UInt64 = 0
    var bytesForwarded: UInt64 = 0
    var packetsDropped: UInt64 = 0
    var rtcpPackets: UInt64 = 0
    /// Packets from this side that failed SRTP authentication, or its replay check.
    var srtpAuthFailures: UInt64 = 0
    var srtpReplays: UInt64 = 0
    /// Other SRTP failures: unprotecting this side's packets or protecting packets for it.
    var srtpErrors: UInt64 = 0
    var receive = RTPReceiveStatistics()

    // RFC 4733 telephone-events (RelayWorker+DTMF.swift, docs/MEDIA.md "DTMF").
    /// Payload type of the events this side's party sends; `noPayloadType` when they are not
    /// looked at. The packet loop's one extra compare per RTP packet.
    var eventReceivePT = RelayLeg.noPayloadType
    /// Payload type of the events this side's party takes; `noPayloadType`: the other side's
    /// events are suppressed towards it and nothing is injected.
    var eventSendPT = RelayLeg.noPayloadType
    var eventClockRate: UInt32 = 8000
    /// Added to the sequence number of every RTP packet relayed to this side's party: +1 per
    /// event packet the relay injected into the stream, -1 per event packet it suppressed, so
    /// the party sees one gapless sequence.
    var sequenceOffset: UInt16 = 0
    var detector = TelephoneEventDetector()
    /// Event packets from this side suppressed (not relayed) on purpose: not counted as dropped.
    var eventPacketsSuppressed: UInt64 = 0
    /// Event packets the relay injected towards this side's party.
    var eventPacketsInjected: UInt64 = 0

    /// Never equal to a 7-bit RTP payload type.
    static let noPayloadType: UInt8 = 0xFF

    init(policy: SourceLatchPolicy) {
        rtpLatch = SourceLatch(policy: policy)
        rtcpLatch = SourceLatch(policy: policy)
    }

    var isRTCPMuxed: Bool { rtcpFD < 0 }

    /// The descriptor packets towards this leg's party leave from for RTCP.
    var rtcpSendFD: Int32 { rtcpFD >= 0 ? rtcpFD : rtpFD }

    var statistics: MediaLegStatistics {
        var statistics = MediaLegStatistics(packetsReceived: packetsReceived, bytesReceived: bytesReceived,
                                            packetsForwarded: packetsForwarded, packetsDropped: packetsDropped,
                                            rtcpPackets: rtcpPackets, packetsLost: receive.cumulativeLost,
                                            jitterMilliseconds: receive.jitterMilliseconds(clockRate: clockRate),
                                            latchedSource: rtpLatch.source?.address)
        statistics.srtpAuthFailures = srtpAuthFailures
        statistics.srtpReplays = srtpReplays
        statistics.srtpErrors = srtpErrors
        statistics.sourceRejections = rtpLatch.rejectedCount
        statistics.lastRejectedSource = rtpLatch.lastRejected?.address
        return statistics
    }
}
