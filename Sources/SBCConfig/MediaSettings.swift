import Yams

/// Media anchoring: the RTP/RTCP relay every call's media flows through (YAML section `media`).
///
/// Why anchor at all: a carrier can then be swapped mid-call without the platform's media path
/// changing, a dead media path is seen within seconds (the field guides' 4 s RTP timeout), and
/// neither side ever learns the other's media addresses. Per-zone media addresses live on the zone
/// (`media_address`, `advertised_media_address`); codec policy lives on the trunk (`codecs`).
public struct MediaSettings: Sendable, Equatable {
    /// How the relay learns a party's real source address (symmetric RTP latching).
    public enum LatchPolicy: String, Sendable, CaseIterable {
        /// Only packets from the IP address the party's SDP names may latch (any port, since NATs
        /// rewrite ports). Injected packets from any other host are never relayed.
        case signalled
        /// The first valid packet from anywhere latches: for parties behind NATs that rewrite the
        /// address too. Weaker: a stranger who wins the race owns the stream until re-negotiation.
        case any
    }

    /// How media packets reach the relay's workers.
    public enum SocketLayout: String, Sendable, CaseIterable {
        /// One UDP socket per RTP/RTCP port, each read on readiness (epoll, recvmmsg).
        case perPort = "per_port"
        /// One receive socket per worker for all its IPv4 ports, fed by a BPF sk_lookup program;
        /// the port sockets stay bound and send the replies. Needs CAP_BPF and CAP_NET_ADMIN
        /// (Linux 5.9+); without them the relay logs a warning and runs `per_port`.
        case lookup
    }

    /// How the relay's workers send what they relay.
    public enum SendBatching: String, Sendable, CaseIterable {
        /// io_uring where the kernel allows it: one IORING_OP_SENDMSG per packet, a worker's
        /// whole receive batch in one io_uring_enter. Where io_uring is refused
        /// (kernel.io_uring_disabled, a seccomp profile, an old kernel) the relay logs a warning
        /// and sends as `sendmmsg`; it never fails to start over it.
        case auto
        /// One sendmmsg per distinct source socket of a batch (with a socket per port, about
        /// one syscall per packet).
        case sendmmsg
    }

    /// Relay media through the SBC (key `enabled`, default true). Off: SDP passes through
    /// untouched and media flows end to end, which leaks addresses and disables media timeouts.
    public var enabled: Bool

    /// Lowest RTP port (key `port_min`, default 10000, even, 1024-65534).
    ///
    /// Why 10000-32767 by default: it is the widest range that stays clear of both the
    /// well-known service ports (SIP 5060/5061, the lab's 5080/5081, the admin API's 8080,
    /// PostgreSQL's 5432) and Linux's ephemeral range (`net.ipv4.ip_local_port_range`, 32768-60999
    /// unless tuned). The ephemeral range matters twice: a relay port that an outgoing connection
    /// or DNS query happens to hold fails its bind, and the allocator quarantines that pair for
    /// good; and every relay socket bound inside it is a port the host's own connections can no
    /// longer use. 22,768 ports are 5,692 audio calls (``audioCallCapacity``), against 250 with
    /// the old 40000-40999; a node sized for more (a 10,000-call node needs 40,000 ports) first
    /// moves the ephemeral range out of the way (docs/MEDIA.md, "Port range and capacity").
    public var portMin: Int

    /// Highest port of the range (key `port_max`, default 32767, above `port_min`): the last port
    /// below Linux's default ephemeral range (see ``portMin``). Each relayed stream takes two
    /// RTP/RTCP pairs (one per side), so a 2-stream-per-call budget is
    /// (port_max - port_min + 1) / 4 audio calls.
    public var portMax: Int

    /// Media worker threads (key `workers`, 1-64, default: cores minus one, at least 1). Each owns
    /// an equal slice of the port range and its own epoll loop.
    public var workers: Int?

    /// No RTP from a party for this long ends the call (key `timeout_s`, default 4, 0 = off,
    /// 1-3600). Counted per leg and direction once the call is answered.
    public var timeout: Duration?

    /// The same while that party signalled it does not send (hold: sendonly/inactive towards it,
    /// `c=0.0.0.0`) (key `hold_timeout_s`, default 0 = off, up to 86400). Music on hold may still
    /// flow, but silence on hold is normal, so the default never ends a held call.
    public var holdTimeout: Duration?

    /// A released port pair is not handed out again for this long (key `port_reuse_delay_s`,
    /// default 10, 1-600): late packets of an ended call must not reach the next call on the port,
    /// and the worker that held it must have closed its sockets before another binds them.
    ///
    /// Why it stays 10 s with the wider range: a carrier that missed the BYE keeps sending from the
    /// same IP, which `signalled` latching would accept on the next call. The delay costs
    /// ports only when the range is nearly full: pairs are handed out oldest-released first, so
    /// normally a pair rests far longer than this. Near full, the pairs cooling are the setup rate
    /// times the delay (100 calls/s x 10 s = 1,000 calls' ports), which the check-config capacity
    /// warning counts (``MediaPortCapacity``).
    public var portReuseDelay: Duration

    /// Latching policy (key `latching`, `signalled` or `any`, default `signalled`).
    public var latching: LatchPolicy

    /// Socket layout of the relay (key `socket_layout`, `per_port` or `lookup`, default
    /// `per_port`). Why `lookup` exists: at RTP rates nearly every wake-up finds one packet on one
    /// port socket, so per_port pays an epoll share, a recvmmsg and a sendmmsg per packet; one
    /// socket per worker steered by sk_lookup reads 10-60 packets per recvmmsg (the C prototypes
    /// cost 0.77-0.81x per packet, bench/README.md "Media socket layouts"). A start where the
    /// program cannot be attached (no CAP_BPF/CAP_NET_ADMIN, kernel before 5.9) falls back to
    /// `per_port` with a warning; it never fails (docs/MEDIA.md, "Socket layout").
    public var socketLayout: SocketLayout

    /// Send path of the relay (key `send_batching`, `auto` or `sendmmsg`, default `auto`). Why
    /// `auto` exists: a batch's packets leave through the ports of as many calls as it holds, so
    /// sendmmsg (one call per source socket) is a syscall per packet, which after `lookup` is the
    /// relay's main cost; io_uring submits the batch's sends in one syscall (the SBC measured 0.7-0.9x
    /// the CPU per packet with `lookup`, docs/MEDIA.md "Send batching"). There is no `io_uring` value that insists: a host
    /// that refuses io_uring gets `sendmmsg` and one warning, and the started log line's
    /// `send_batching` says which is in effect. `sendmmsg` is for comparing, or a kernel whose
    /// io_uring misbehaves.
    public var sendBatching: SendBatching

    public static let defaultPortMin = 10000
    public static let defaultPortMax = 32767
    public static let defaultTimeout: Duration = .seconds(4)
    public static let defaultPortReuseDelay: Duration = .seconds(10)

    public init(enabled: Bool = true, portMin: Int = MediaSettings.defaultPortMin,
                portMax: Int = MediaSettings.defaultPortMax, workers: Int? = nil,
                timeout: Duration? = MediaSettings.defaultTimeout, holdTimeout: Duration? = nil,
                portReuseDelay: Duration = MediaSettings.defaultPortReuseDelay, latching: LatchPolicy = .signalled,
                socketLayout: SocketLayout = .perPort, sendBatching: SendBatching = .auto) {
        self.enabled = enabled
        self.portMin = portMin
        self.portMax = portMax
        self.workers = workers
        self.timeout = timeout
        self.holdTimeout = holdTimeout
        self.portReuseDelay = portReuseDelay
        self.latching = latching
        self.socketLayout = socketLayout
        self.sendBatching = sendBatching
    }

    /// Audio calls the range carries at once when no pair is cooling: every call takes two
    /// RTP/RTCP pairs, one per side (an odd `port_min` is rounded up, as the allocator does).
    public var audioCallCapacity: Int {
        let low = portMin + (portMin & 1)
        return max(0, (portMax - low + 1) / 2) / 2
    }

    /// Worker count to start on a machine with `cores` CPUs.
    public func workerCount(cores: Int) -> Int {
        workers ?? max(1, cores - 1)
    }
}

extension MediaSettings {
    /// The keys of the `media` section.
    static let keys = ["enabled", "port_min", "port_max", "workers", "timeout_s", "hold_timeout_s",
                       "port_reuse_delay_s", "latching", "socket_layout",
                       "send_batching"]

    static let portRange = 1024...65535
    static let workersRange = 1...64
    static let timeoutRange = 0...3600
    static let holdTimeoutRange = 0...86_400
    static let portReuseDelayRange = 1...600

    /// Reads the `media` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> MediaSettings {
        var settings = MediaSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.enabled = reader.boolean("enabled") ?? settings.enabled
        let low = reader.integer("port_min", in: portRange)
        let high = reader.integer("port_max", in: portRange)
        if let low {
            if low % 2 == 0 {
                settings.portMin = low
            } else {
                problems.report(reader.path("port_min"), "must be even (RTP takes the even port, RTCP the odd one above it), got \(low)")
            }
        }
        if let high { settings.portMax = high }
        if settings.portMax < settings.portMin + 3 {
            problems.report(reader.path(high != nil ? "port_max" : "port_min"),
                            "leaves fewer than 4 ports (\(settings.portMin)-\(settings.portMax)); one call needs two RTP/RTCP pairs")
        }
        settings.workers = reader.integer("workers", in: workersRange)
        if let seconds = reader.integer("timeout_s", in: timeoutRange, unit: "seconds") {
            settings.timeout = seconds == 0 ? nil : .seconds(seconds)
        }
        if let seconds = reader.integer("hold_timeout_s", in: holdTimeoutRange, unit: "seconds") {
            settings.holdTimeout = seconds == 0 ? nil : .seconds(seconds)
        }
        settings.portReuseDelay = reader.seconds("port_reuse_delay_s", in: portReuseDelayRange) ?? settings.portReuseDelay
        settings.latching = reader.choice("latching") ?? settings.latching
        settings.socketLayout = reader.choice("socket_layout") ?? settings.socketLayout
        settings.sendBatching = reader.choice("send_batching") ?? settings.sendBatching
        return settings
    }
}
