/// What a media socket's epoll registration carries: which leg, which of its two sockets, and
/// which opening of that socket (generation), packed into epoll's 64-bit data.
///
/// Naming the leg directly means readiness needs no descriptor table: the loop goes from the
/// event to the leg it must update anyway.
struct RelayEpollToken: Equatable {
    var leg: Int32
    var isRTCP: Bool
    var generation: UInt32

    /// The mailbox's eventfd: generation 0 is never given to a socket, so it cannot collide.
    static let mailbox: UInt64 = 0
    /// The worker's sk_lookup receive socket (`lookup` layout): generation 0 again, so no socket's.
    static let lookup: UInt64 = 1

    init(leg: Int32, isRTCP: Bool, generation: UInt32) {
        self.leg = leg
        self.isRTCP = isRTCP
        self.generation = generation
    }

    @inline(__always)
    init(rawValue: UInt64) {
        generation = UInt32(truncatingIfNeeded: rawValue >> 32)
        leg = Int32(truncatingIfNeeded: (rawValue >> 1) & 0x7FFF_FFFF)
        isRTCP = rawValue & 1 != 0
    }

    var rawValue: UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: leg)) << 1 | (isRTCP ? 1 : 0)
    }
}
