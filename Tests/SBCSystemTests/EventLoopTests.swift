import Glibc
import Synchronization
import Testing
import CSBCLinux
@testable import SBCSystem

@Suite("EventLoop")
struct EventLoopTests {
    @Test("timers fire in deadline order, FIFO on ties")
    func ordering() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        let base = loop.now
        loop.schedule(at: base + .milliseconds(30)) { fired.append(3) }
        loop.schedule(at: base + .milliseconds(10)) { fired.append(1) }
        loop.schedule(at: base + .milliseconds(20)) { fired.append(2) }
        loop.schedule(at: base + .milliseconds(20)) { fired.append(22) }
        loop.schedule(at: base + .milliseconds(40)) { loop.stop() }
        #expect(try LoopHarness.run(loop))
        #expect(fired == [1, 2, 22, 3])
        #expect(loop.now - base >= .milliseconds(40))
    }

    @Test("cancel prevents firing, including the earliest armed timer")
    func cancel() throws {
        let loop = try EventLoop()
        var fired: [String] = []
        let early = loop.schedule(after: .milliseconds(5)) { fired.append("early") }
        let other = loop.schedule(after: .milliseconds(15)) { fired.append("other") }
        loop.schedule(after: .milliseconds(10)) { fired.append("kept") }
        loop.schedule(after: .milliseconds(30)) { loop.stop() }
        #expect(loop.cancel(early))
        #expect(!loop.cancel(early))
        loop.schedule(after: .milliseconds(1)) { _ = loop.cancel(other) }
        #expect(try LoopHarness.run(loop))
        #expect(fired == ["kept"])
        #expect(loop.pendingTimerCount == 0)
    }

    @Test("many timers with random deadlines all fire in order; half cancelled")
    func many() throws {
        let loop = try EventLoop()
        var rng = SystemRandomNumberGenerator()
        var deadlines: [UInt64] = []
        var handles: [TimerHandle] = []
        let base = loop.now
        for i in 0..<5_000 {
            let offset = UInt64.random(in: 0..<50_000_000, using: &rng)
            let deadline = MonotonicInstant(nanoseconds: base.nanoseconds + offset)
            let handle = loop.schedule(at: deadline) { deadlines.append(deadline.nanoseconds) }
            if i % 2 == 1 { handles.append(handle) }
        }
        for handle in handles { loop.cancel(handle) }
        #expect(loop.pendingTimerCount == 2_500)
        loop.schedule(at: base + .milliseconds(60)) { loop.stop() }
        #expect(try LoopHarness.run(loop))
        #expect(deadlines.count == 2_500)
        #expect(deadlines == deadlines.sorted())
    }

    @Test("a timer rescheduling itself with zero delay does not starve I/O")
    func zeroDelayFairness() throws {
        let loop = try EventLoop()
        var ticks = 0
        func tick() {
            ticks += 1
            loop.schedule(after: .zero, tick)
        }
        tick()
        loop.execute { loop.stop() }
        #expect(try LoopHarness.run(loop, timeout: .seconds(2)))
        #expect(ticks > 0)
    }

    @Test("execute from other threads wakes the blocked loop and runs every item")
    func crossThread() throws {
        let loopThread = try EventLoopThread(name: "test-loop")
        let loop = loopThread.loop
        let counter = Atomic<Int>(0)
        let onLoop = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let producers = 4, perProducer = 500
        var threads: [pthread_t] = []
        final class Context: @unchecked Sendable {
            let loop: EventLoop
            let counter: UnsafeMutablePointer<Int>
            init(loop: EventLoop) {
                self.loop = loop
                counter = .allocate(capacity: 1)
                counter.initialize(to: 0)
            }
        }
        let context = Context(loop: loop)
        for _ in 0..<producers {
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                let context = Unmanaged<Context>.fromOpaque(arg!).takeUnretainedValue()
                for _ in 0..<500 {
                    // Loop-confined state mutated only inside execute: no lock needed.
                    context.loop.execute { context.counter.pointee += 1 }
                }
                return nil
            }, Unmanaged.passUnretained(context).toOpaque())
            #expect(rc == 0)
            threads.append(tid)
        }
        for tid in threads { pthread_join(tid, nil) }
        loop.execute {
            counter.store(context.counter.pointee, ordering: .relaxed)
            onLoop.store(loop.inEventLoop ? 1 : 0, ordering: .relaxed)
            done.store(true, ordering: .releasing)
        }
        let deadline = MonotonicInstant.now() + .seconds(5)
        while !done.load(ordering: .acquiring) && MonotonicInstant.now() < deadline {
            usleep(1_000)
        }
        loopThread.stopAndJoin()
        let finished = done.load(ordering: .acquiring)
        let total = counter.load(ordering: .relaxed)
        let ranOnLoop = onLoop.load(ordering: .relaxed)
        #expect(finished)
        #expect(total == producers * perProducer)
        #expect(ranOnLoop == 1)
        #expect(!loop.inEventLoop)
        context.counter.deallocate()
    }

    @Test("signalfd delivers SIGUSR1 raised on the loop thread")
    func signals() throws {
        let loop = try EventLoop()
        var received: [Int32] = []
        try loop.onSignals([SIGUSR1]) { signal in
            received.append(signal)
            loop.stop()
        }
        defer { try? EventLoop.unblockSignals([SIGUSR1]) }
        // Thread-directed, so only this (blocked) thread can receive it: the rest of the test
        // process keeps SIGUSR1's default disposition without being hit.
        loop.schedule(after: .milliseconds(5)) { _ = pthread_kill(pthread_self(), SIGUSR1) }
        #expect(try LoopHarness.run(loop, timeout: .seconds(3)))
        #expect(received == [SIGUSR1])
    }

    @Test("fd registration: readable, modify to writable, unregister")
    func registration() throws {
        let loop = try EventLoop()
        let fd = csbc_eventfd(0)
        #expect(fd >= 0)
        defer { _ = Glibc.close(fd) }
        var seen: [IOEvents] = []
        try loop.register(fd: fd, interest: .readable) { events in
            seen.append(events)
            var value: UInt64 = 0
            _ = csbc_eventfd_read(fd, &value)
            if seen.count == 1 {
                try? loop.modify(fd: fd, interest: .writable)
            } else {
                loop.unregister(fd: fd)
                loop.stop()
            }
        }
        _ = csbc_eventfd_write(fd, 1)
        #expect(try LoopHarness.run(loop))
        #expect(seen.count == 2)
        #expect(seen.first?.contains(.readable) == true)
        #expect(seen.last?.contains(.writable) == true)
        #expect(throws: SystemError.self) { try loop.modify(fd: fd, interest: .readable) }
    }

    @Test("stop from another thread before run is honoured once running")
    func stopEarly() throws {
        let loop = try EventLoop()
        loop.stop()
        #expect(try LoopHarness.run(loop, timeout: .seconds(2)))
    }
}
