/// The media port capacity lint: a warning (never a problem) when the relay's port range cannot
/// carry the calls the rest of the configuration admits.
///
/// Why: a range too small for the call limits fails quietly at the busiest hour, when every call
/// past the range gets `503 (media ports exhausted)` while trunks still have channels free; the
/// old 1,000-port default capped a node at 250 calls. What the configuration admits at once is
/// the sum of the trunks' `max_calls` (a trunk without a limit adds nothing: its load is not
/// known here), plus the calls whose ports are still cooling after they ended: at most
/// `overload.max_cps` ended per second, each pair resting `media.port_reuse_delay_s`. Each call
/// takes two RTP/RTCP pairs (``MediaSettings/audioCallCapacity``); video calls take more, so the
/// check is a floor, not a guarantee.
public struct MediaPortCapacity {
    let config: SBCConfiguration
    let problems: ProblemCollector

    /// Ports one audio call takes: an RTP/RTCP pair facing each side.
    public static let portsPerCall = 4
    /// Ports a node can ever bind for media (1024-65535).
    static let portsOnHost = 65536 - 1024

    func run() {
        let media = config.media
        guard media.enabled else { return }
        let limited = config.trunks.filter(\.hasCallLimit)
        let trunkCalls = limited.reduce(0) { $0 + $1.maxCalls }
        let cps = config.overload.enabled ? config.overload.maxCallsPerSecond : 0
        let delay = Int(media.portReuseDelay.components.seconds)
        let cooling = cps * delay
        let needed = trunkCalls + cooling
        let capacity = media.audioCallCapacity
        guard needed > capacity else { return }

        var demand: [String] = []
        if trunkCalls > 0 {
            let names = limited.prefix(4).map { "\($0.name) \($0.maxCalls)" }.joined(separator: ", ")
            demand.append("the trunks' max_calls add up to \(trunkCalls) (\(names)\(limited.count > 4 ? ", ..." : ""))")
        }
        if cooling > 0 {
            demand.append("overload.max_cps \(cps) x media.port_reuse_delay_s \(delay) keeps \(cooling) "
                          + "ended calls' ports cooling")
        }
        let ports = media.portMax - media.portMin + 1
        let neededPorts = needed * Self.portsPerCall
        let remedy: String
        if neededPorts <= Self.portsOnHost {
            let low = min(media.portMin, 65536 - neededPorts)
            let high = low + neededPorts - 1
            remedy = "Widen media.port_min/port_max to at least \(neededPorts) ports (e.g. \(low)-\(high); "
                + "keep the range out of net.ipv4.ip_local_port_range, docs/MEDIA.md), or lower "
        } else {
            remedy = "No port range on one host carries that (\(Self.portsOnHost) ports at most): spread the "
                + "calls over more nodes, or lower "
        }
        let message = "media.port_min-port_max \(media.portMin)-\(media.portMax) (\(ports) ports) carries "
            + "\(capacity) audio calls (\(Self.portsPerCall) ports each), but "
            + demand.joined(separator: " and ") + ": \(needed) calls need \(neededPorts) ports. "
            + remedy + (trunkCalls > 0 ? "trunks[].max_calls" : "")
            + (trunkCalls > 0 && cooling > 0 ? ", " : "")
            + (cooling > 0 ? "overload.max_cps or media.port_reuse_delay_s" : "")
            + "; calls beyond the range are refused with 503 (media ports exhausted)"
        problems.warn(keyPath, message)
    }

    /// The key the warning points at: the range's end when the file writes it, else the section.
    private var keyPath: String {
        if problems.markIfRecorded("media.port_max") != nil { return "media.port_max" }
        if problems.markIfRecorded("media.port_min") != nil { return "media.port_min" }
        return "media"
    }
}
