import CSBCLinux

/// What a registered descriptor should wake the loop for.
///
/// Level-triggered on purpose: handlers may stop early (a batch limit, a full output queue)
/// and rely on being called again, which edge-triggered epoll would not do.
public struct IOInterest: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readable = IOInterest(rawValue: 1 << 0)
    public static let writable = IOInterest(rawValue: 1 << 1)
    public static let readWrite: IOInterest = [.readable, .writable]

    var epollMask: UInt32 {
        var mask: UInt32 = 0
        if contains(.readable) { mask |= CSBC_EPOLLIN | CSBC_EPOLLRDHUP }
        if contains(.writable) { mask |= CSBC_EPOLLOUT }
        return mask
    }
}

/// What epoll reported for a descriptor. `error`/`hangup` arrive whatever the interest was,
/// which is how a connecting socket learns it was refused.
public struct IOEvents: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: 1 << 0)
    public static let writable = IOEvents(rawValue: 1 << 1)
    public static let error = IOEvents(rawValue: 1 << 2)
    /// Peer closed (EPOLLHUP or EPOLLRDHUP); unread data may still be pending.
    public static let hangup = IOEvents(rawValue: 1 << 3)

    init(epoll mask: UInt32) {
        var events: IOEvents = []
        if mask & CSBC_EPOLLIN != 0 { events.insert(.readable) }
        if mask & CSBC_EPOLLOUT != 0 { events.insert(.writable) }
        if mask & CSBC_EPOLLERR != 0 { events.insert(.error) }
        if mask & (CSBC_EPOLLHUP | CSBC_EPOLLRDHUP) != 0 { events.insert(.hangup) }
        self = events
    }

    public var description: String {
        var parts: [String] = []
        if contains(.readable) { parts.append("r") }
        if contains(.writable) { parts.append("w") }
        if contains(.error) { parts.append("err") }
        if contains(.hangup) { parts.append("hup") }
        return "[" + parts.joined(separator: ",") + "]"
    }
}

/// Identifies a scheduled timer so it can be cancelled. Ids are never reused within a loop.
public struct TimerHandle: Hashable, Sendable {
    let id: UInt64
}
