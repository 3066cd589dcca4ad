import Glibc
import CSBCLinux
import Synchronization

/// A single-threaded epoll reactor: descriptors, timers on one timerfd, cross-thread work via
/// an eventfd, and signals via signalfd.
///
/// Confinement: everything except `execute(_:)`, `stop()` and `inEventLoop` must be called on the
/// thread running `run()`, or before `run()` starts. That is what lets the signalling layers above
/// own their call state without locks. The type is `@unchecked Sendable` only so a loop reference
/// can be handed to other threads for those three entry points; they are the ones that synchronise
/// (a `Mutex` for the work queue, an `Atomic` for the running thread id).
public final class EventLoop: @unchecked Sendable {
    public typealias IOHandler = (IOEvents) -> Void

    /// Boxed so a handler that unregisters itself mid-dispatch stays alive until it returns.
    private final class Registration {
        let generation: UInt32
        var interest: IOInterest
        var handler: IOHandler
        init(generation: UInt32, interest: IOInterest, handler: @escaping IOHandler) {
            self.generation = generation
            self.interest = interest
            self.handler = handler
        }
    }

    private struct Inbox {
        var work: [@Sendable () -> Void] = []
        var closed = false
    }

    private static let maxEvents: Int32 = 64

    private let epollFD: Int32
    private let wakeFD: Int32
    private let timerFD: Int32
    private var signalFD: Int32 = -1

    /// Indexed by fd: descriptors are small dense integers, so this beats hashing per event.
    private var registrations: [Registration?] = []
    private var nextGeneration: UInt32 = 1
    private let events: UnsafeMutablePointer<csbc_epoll_event>

    private var timers = TimerHeap()
    private var timerCallbacks: [UInt64: () -> Void] = [:]
    private var nextTimerID: UInt64 = 1
    private var armedDeadline: UInt64 = 0

    private let inbox = Mutex(Inbox())
    private var draining: [@Sendable () -> Void] = []

    private var running = false
    private var closed = false
    /// pthread id of the thread inside `run()`, 0 otherwise.
    private let loopThread = Atomic<UInt>(0)

    public init() throws(SystemError) {
        epollFD = try Syscall.checked("epoll_create1") { csbc_epoll_create() }
        do throws(SystemError) {
            wakeFD = try Syscall.checked("eventfd") { csbc_eventfd(0) }
        } catch {
            _ = Glibc.close(epollFD)
            throw error
        }
        do throws(SystemError) {
            timerFD = try Syscall.checked("timerfd_create") { csbc_timerfd_create() }
        } catch {
            _ = Glibc.close(epollFD)
            _ = Glibc.close(wakeFD)
            throw error
        }
        events = .allocate(capacity: Int(EventLoop.maxEvents))
        draining.reserveCapacity(64)
        try register(fd: wakeFD, interest: .readable) { [unowned self] _ in self.drainInbox() }
        try register(fd: timerFD, interest: .readable) { [unowned self] _ in self.fireTimers() }
    }

    deinit {
        close()
        events.deallocate()
    }

    // MARK: - Thread confinement

    /// True on the thread currently inside `run()`.
    public var inEventLoop: Bool {
        loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    @inline(__always)
    private func assertConfined(_ function: StaticString = #function) {
        assert(loopThread.load(ordering: .relaxed) == 0 || inEventLoop,
               "EventLoop.\(function) called off the loop thread")
    }

    public var now: MonotonicInstant { .now() }

    // MARK: - Descriptors

    /// Starts watching `fd`. The loop never closes `fd`; its owner must `unregister` first.
    public func register(fd: Int32, interest: IOInterest, handler: @escaping IOHandler) throws(SystemError) {
        assertConfined()
        precondition(fd >= 0, "negative fd")
        let generation = nextGeneration
        nextGeneration = nextGeneration == .max ? 1 : nextGeneration + 1
        try Syscall.checked("epoll_ctl", context: "add fd \(fd)") {
            csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_ADD, fd, interest.epollMask, EventLoop.token(fd, generation))
        }
        let index = Int(fd)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index - registrations.count + 1))
        }
        registrations[index] = Registration(generation: generation, interest: interest, handler: handler)
    }

    /// Changes what `fd` wakes the loop for; a no-op when unchanged, so callers may call it freely.
    public func modify(fd: Int32, interest: IOInterest) throws(SystemError) {
        assertConfined()
        guard let registration = registration(for: fd) else {
            throw SystemError(syscall: "epoll_ctl", errno: ENOENT, context: "modify unregistered fd \(fd)")
        }
        guard registration.interest != interest else { return }
        try Syscall.checked("epoll_ctl", context: "modify fd \(fd)") {
            csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_MOD, fd, interest.epollMask,
                           EventLoop.token(fd, registration.generation))
        }
        registration.interest = interest
    }

    /// Replaces the handler without touching epoll (e.g. a connecting socket becoming established).
    public func setHandler(fd: Int32, _ handler: @escaping IOHandler) {
        assertConfined()
        registration(for: fd)?.handler = handler
    }

    /// Stops watching `fd`. Events already fetched for it in this iteration are discarded.
    public func unregister(fd: Int32) {
        assertConfined()
        guard registration(for: fd) != nil else { return }
        registrations[Int(fd)] = nil
        // Failure means the fd was already closed, which removed it from the epoll set anyway.
        _ = csbc_epoll_ctl(epollFD, CSBC_EPOLL_CTL_DEL, fd, 0, 0)
    }

    private func registration(for fd: Int32) -> Registration? {
        let index = Int(fd)
        return index >= 0 && index < registrations.count ? registrations[index] : nil
    }

    @inline(__always)
    private static func token(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    // MARK: - Timers

    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping () -> Void) -> TimerHandle {
        schedule(at: now + delay, body)
    }

    @discardableResult
    public func schedule(at deadline: MonotonicInstant, _ body: @escaping () -> Void) -> TimerHandle {
        assertConfined()
        let id = nextTimerID
        nextTimerID += 1
        // Deadline 0 would disarm the timerfd; 1 ns is equally "already due".
        let ns = max(deadline.nanoseconds, 1)
        timerCallbacks[id] = body
        timers.push(.init(deadline: ns, id: id))
        if armedDeadline == 0 || ns < armedDeadline {
            arm(ns)
        }
        return TimerHandle(id: id)
    }

    /// Returns false when the timer already fired or was cancelled.
    @discardableResult
    public func cancel(_ handle: TimerHandle) -> Bool {
        assertConfined()
        guard timerCallbacks.removeValue(forKey: handle.id) != nil else { return false }
        if timers.count > 64 && timerCallbacks.count < timers.count / 2 {
            timers.compact { timerCallbacks[$0.id] != nil }
        }
        return true
    }

    /// Timers still pending (excluding cancelled ones).
    public var pendingTimerCount: Int { timerCallbacks.count }

    private func arm(_ deadline: UInt64) {
        armedDeadline = deadline
        // Only EBADF/EINVAL can fail here, both programming errors.
        let rc = csbc_timerfd_settime(timerFD, deadline)
        assert(rc == 0, "timerfd_settime failed: errno \(csbc_errno())")
    }

    private func fireTimers() {
        var expirations: UInt64 = 0
        _ = csbc_timerfd_read(timerFD, &expirations)
        armedDeadline = 0
        let now = self.now.nanoseconds
        // Timers scheduled by callbacks in this pass wait for the next one, so a callback that
        // reschedules itself with zero delay cannot starve I/O.
        let lastID = nextTimerID
        while let top = timers.top, top.deadline <= now, top.id < lastID {
            timers.pop()
            if let body = timerCallbacks.removeValue(forKey: top.id) {
                body()
            }
        }
        // Discard cancelled entries at the top so the timerfd is armed for a live deadline.
        while let top = timers.top, timerCallbacks[top.id] == nil {
            timers.pop()
        }
        if let top = timers.top {
            arm(top.deadline)
        }
    }

    // MARK: - Cross-thread work

    /// Runs `work` on the loop thread soon. Safe from any thread; the only way other threads
    /// (media workers, admin API, store) may touch loop-owned state. Dropped after `close()`.
    public func execute(_ work: @Sendable @escaping () -> Void) {
        let needsWake = inbox.withLock { inbox -> Bool in
            guard !inbox.closed else { return false }
            inbox.work.append(work)
            return inbox.work.count == 1
        }
        if needsWake {
            _ = csbc_eventfd_write(wakeFD, 1)
        }
    }

    private func drainInbox() {
        var counter: UInt64 = 0
        _ = csbc_eventfd_read(wakeFD, &counter)
        inbox.withLock { swap(&$0.work, &draining) }
        for work in draining {
            work()
        }
        draining.removeAll(keepingCapacity: true)
    }

    // MARK: - Signals

    /// Blocks `signals` in the calling thread. Call from `main` before any thread starts so every
    /// thread inherits the mask; otherwise the kernel may deliver a process signal to a thread that
    /// does not block it and the default action (terminate) wins over the signalfd.
    public static func blockSignals(_ signals: [Int32]) throws(SystemError) {
        try Syscall.checked("pthread_sigmask", context: "block \(signals)") {
            signals.withUnsafeBufferPointer { csbc_block_signals($0.baseAddress, Int32($0.count)) }
        }
    }

    public static func unblockSignals(_ signals: [Int32]) throws(SystemError) {
        try Syscall.checked("pthread_sigmask", context: "unblock \(signals)") {
            signals.withUnsafeBufferPointer { csbc_unblock_signals($0.baseAddress, Int32($0.count)) }
        }
    }

    /// Delivers `signals` to `handler` on the loop thread. Blocks them in the calling thread too,
    /// which is sufficient only when no other thread leaves them unblocked (see `blockSignals`).
    public func onSignals(_ signals: [Int32], _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        assertConfined()
        try EventLoop.blockSignals(signals)
        if signalFD >= 0 {
            unregister(fd: signalFD)
            _ = Glibc.close(signalFD)
            signalFD = -1
        }
        let fd = try Syscall.checked("signalfd", context: "\(signals)") {
            signals.withUnsafeBufferPointer { csbc_signalfd($0.baseAddress, Int32($0.count)) }
        }
        signalFD = fd
        try register(fd: fd, interest: .readable) { _ in
            while true {
                let signal = csbc_signalfd_read(fd)
                guard signal > 0 else { break }
                handler(signal)
            }
        }
    }

    // MARK: - Running

    /// Dispatches events on the calling thread until `stop()`.
    public func run() throws(SystemError) {
        precondition(!closed, "run() on a closed EventLoop")
        let me = UInt(pthread_self())
        let (exchanged, _) = loopThread.compareExchange(expected: 0, desired: me, ordering: .acquiringAndReleasing)
        precondition(exchanged, "EventLoop.run() is already running on another thread")
        defer { loopThread.store(0, ordering: .releasing) }
        running = true
        while running {
            let count = try Syscall.checked("epoll_wait") {
                csbc_epoll_wait(epollFD, events, EventLoop.maxEvents, -1)
            }
            for i in 0..<Int(count) {
                let event = events[i]
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data))
                let generation = UInt32(truncatingIfNeeded: event.data >> 32)
                guard let registration = registration(for: fd), registration.generation == generation else {
                    continue
                }
                registration.handler(IOEvents(epoll: event.events))
            }
        }
    }

    /// Makes `run()` return after the current batch of events. Safe from any thread.
    public func stop() {
        if inEventLoop {
            running = false
        } else {
            execute { [self] in self.running = false }
        }
    }

    /// Releases the loop's own descriptors. Registered descriptors belong to their owners.
    public func close() {
        guard !closed else { return }
        closed = true
        inbox.withLock { $0.closed = true; $0.work.removeAll() }
        if signalFD >= 0 { _ = Glibc.close(signalFD) }
        _ = Glibc.close(timerFD)
        _ = Glibc.close(wakeFD)
        _ = Glibc.close(epollFD)
        registrations.removeAll()
        timerCallbacks.removeAll()
    }
}
