// A child process with its output in files, bounded waits and signal-based stopping.
//
// Spawned with posix_spawn rather than Foundation.Process: under the test runner, children
// started by Process inherit a signal mask that blocks almost every signal (SIGTERM included),
// so neither SIPp nor an SBC that installs a plain handler would ever see our SIGTERM. Here the
// child starts with an empty mask and default dispositions. No pipes (nothing to deadlock on),
// no termination handlers (nothing @Sendable); we reap our own PID with waitpid.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct ProcessExit: Sendable, CustomStringConvertible {
    /// True if the process called exit(); false if a signal ended it.
    let exited: Bool
    /// The exit status, or the signal number when `exited` is false.
    let status: Int32

    var description: String { exited ? "exit status \(status)" : "killed by signal \(status)" }

    init(exited: Bool, status: Int32) {
        self.exited = exited
        self.status = status
    }

    /// Decodes a waitpid status (the WIFEXITED/WEXITSTATUS/WTERMSIG macros are not imported).
    init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        if signal == 0 {
            self.init(exited: true, status: (waitStatus >> 8) & 0xff)
        } else {
            self.init(exited: false, status: signal)
        }
    }
}

final class ManagedProcess {
    let name: String
    let stdoutURL: URL
    let stderrURL: URL
    let commandLine: String
    let pid: pid_t
    private var finished: ProcessExit?

    init(name: String, executable: URL, arguments: [String], workingDirectory: URL,
         stdout: URL, stderr: URL) throws {
        self.name = name
        self.stdoutURL = stdout
        self.stderrURL = stderr
        self.commandLine = ([executable.path] + arguments).joined(separator: " ")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)

        // /bin/sh only changes directory and execs: the PID we get is the program's own.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", workingDirectory.path, executable.path] + arguments

        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_APPEND, 0o644)
        if stdout == stderr {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_APPEND, 0o644)
        }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGCHLD, SIGALRM] {
            sigaddset(&defaults, sig)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var child: pid_t = 0
        let rc = cArgs.withUnsafeBufferPointer { buffer in
            posix_spawn(&child, "/bin/sh", &actions, &attributes, buffer.baseAddress!, environ)
        }
        guard rc == 0 else {
            throw HarnessError("could not start \(name) (\(commandLine)): \(String(cString: strerror(rc)))")
        }
        self.pid = child
    }

    deinit { stopNow(grace: 1) }

    /// Reaps the child if it has exited (non-blocking).
    private func poll() {
        guard finished == nil else { return }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == pid {
            finished = ProcessExit(waitStatus: status)
        } else if rc < 0 && errno == ECHILD {
            finished = ProcessExit(exited: false, status: 0)
        }
    }

    var isRunning: Bool {
        poll()
        return finished == nil
    }

    var exit: ProcessExit? {
        poll()
        return finished
    }

    /// Sends `signal` to this child only (by its PID), if it has not been reaped yet.
    func send(signal: Int32) {
        if isRunning { _ = kill(pid, signal) }
    }

    /// Waits up to `timeout` for the process to exit on its own.
    @discardableResult
    func waitForExit(timeout: Duration) async -> ProcessExit? {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exit
    }

    /// `signal` (SIGTERM by default), wait up to `grace`, then SIGKILL and wait.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, grace: Duration = .seconds(5)) async -> ProcessExit {
        if let done = exit { return done }
        send(signal: signal)
        if let done = await waitForExit(timeout: grace) { return done }
        send(signal: SIGKILL)
        if let done = await waitForExit(timeout: .seconds(5)) { return done }
        return ProcessExit(exited: false, status: SIGKILL)
    }

    /// The synchronous last resort for cleanup paths that cannot await.
    func stopNow(grace: TimeInterval = 3) {
        guard isRunning else { return }
        send(signal: SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(20_000) }
        if isRunning {
            send(signal: SIGKILL)
            var status: Int32 = 0
            if waitpid(pid, &status, 0) == pid { finished = ProcessExit(waitStatus: status) }
        }
    }
}
