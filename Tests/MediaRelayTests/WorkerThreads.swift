import Glibc
import SBCSystem

/// The relay's worker threads ("media-N") of this process, and the CPU they used, from /proc.
enum WorkerThreads {
    static func current() -> Set<Int32> {
        guard let directory = opendir("/proc/self/task") else { return [] }
        defer { closedir(directory) }
        var result: Set<Int32> = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let tid = Int32(name), let comm = read("/proc/self/task/\(tid)/comm"), comm.hasPrefix("media-") else { continue }
            result.insert(tid)
        }
        return result
    }

    /// Worker threads that are not in `before`, waiting up to a second for them: a worker
    /// names itself once its thread runs, a moment after the relay's init returns.
    static func started(since before: Set<Int32>) -> Set<Int32> {
        let deadline = MonotonicInstant.now() + .seconds(1)
        var new = current().subtracting(before)
        while new.isEmpty && MonotonicInstant.now() < deadline {
            usleep(2_000)
            new = current().subtracting(before)
        }
        return new
    }

    /// utime + stime of `threads` (fields 14 and 15 of stat, after the parenthesised name).
    static func cpuTime(_ threads: Set<Int32>) -> Duration {
        let ticksPerSecond = Int64(sysconf(Int32(_SC_CLK_TCK)))
        var ticks: Int64 = 0
        for tid in threads {
            guard let stat = read("/proc/self/task/\(tid)/stat"), let nameEnd = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
            // fields[0] is the state (field 3), so utime (14) and stime (15) are at 11 and 12.
            guard fields.count > 12, let user = Int64(fields[11]), let system = Int64(fields[12]) else { continue }
            ticks += user + system
        }
        return .milliseconds(ticks * 1000 / max(1, ticksPerSecond))
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
