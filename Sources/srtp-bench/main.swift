// Microbenchmark of SRTP protect/unprotect per packet: the SBC's own transforms (SRTPContext, on
// OpenSSL's libcrypto) against libsrtp2 (SRTPLibrarySession, Debian's NSS build) in the same
// run, every suite, G.711-sized packets by default. No sockets: the crypto and per-stream
// bookkeeping alone, as the relay's worker calls them. Thread CPU time, nanoseconds per packet.
// Usage: srtp-bench [packets] [sessions] [payload bytes] [swiftsbc|libsrtp2|both]
//        (run the release build: swift build -c release --product srtp-bench && .build/release/srtp-bench)
// `sessions` contexts are used round-robin (one packet each in turn), as a worker with that many
// calls would: with many sessions the keys and states fall out of the caches.
import Glibc
import SDP
import SRTP

let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
let packets = max(arguments.first.flatMap { $0 } ?? 200_000, 256)
let sessions = max(arguments.dropFirst().first.flatMap { $0 } ?? 1, 1)
let payload = min(max(arguments.dropFirst(2).first.flatMap { $0 } ?? 160, 0), 1800)
/// One implementation alone, for profiling it (perf, callgrind) without the other's symbols.
let only = CommandLine.arguments.count > 4 ? CommandLine.arguments[4] : "both"

/// What both implementations offer; the loops are generic, so each is specialised.
protocol PacketProtector {
    func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws -> Int
    func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws -> Int
}

extension SRTPContext: PacketProtector {}
extension SRTPLibrarySession: PacketProtector {}

func threadCPU() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}

extension Duration {
    var nanoseconds: Double { Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9 }
}

struct Figures {
    var createMicroseconds: Double
    var protectNanoseconds: Double
    var unprotectNanoseconds: Double
}

enum BenchError: Error, CustomStringConvertible {
    case mismatch(packet: Int)

    var description: String {
        switch self {
        case .mismatch(let packet): "packet \(packet) did not come back as sent"
        }
    }
}

/// Slots like the relay's: 16-byte aligned, 2,208 bytes, a batch of 256 protected then
/// unprotected, each phase timed on its own.
func measure<Sender: PacketProtector, Receiver: PacketProtector>(
    _ make: () throws -> (Sender, Receiver)) throws -> Figures
{
    let start = threadCPU()
    let pairs = try (0..<sessions).map { _ in try make() }
    let created = threadCPU() - start

    let batch = 256
    let slotBytes = 2208
    let slots = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * slotBytes, alignment: 16)
    defer { slots.deallocate() }
    var lengths = [Int](repeating: 0, count: batch)
    var template = [UInt8](repeating: 0, count: 12 + payload)
    template[0] = 0x80
    for index in 12..<template.count { template[index] = UInt8(truncatingIfNeeded: index &* 7) }
    var sequences = [UInt16](repeating: 1000, count: sessions)

    var protecting = Duration.zero
    var unprotecting = Duration.zero
    var sent = 0
    while sent < packets {
        let count = min(batch, packets - sent)
        for slot in 0..<count {
            let session = (sent + slot) % sessions
            let base = slots.baseAddress! + slot * slotBytes
            template.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            sequences[session] &+= 1
            base.storeBytes(of: sequences[session].bigEndian, toByteOffset: 2, as: UInt16.self)
            base.storeBytes(of: UInt32(0x5000 + session).bigEndian, toByteOffset: 8, as: UInt32.self)
        }
        let t0 = threadCPU()
        for slot in 0..<count {
            let buffer = UnsafeMutableRawBufferPointer(start: slots.baseAddress! + slot * slotBytes, count: slotBytes)
            lengths[slot] = try pairs[(sent + slot) % sessions].0.protectRTP(buffer, length: template.count)
        }
        let t1 = threadCPU()
        for slot in 0..<count {
            let buffer = UnsafeMutableRawBufferPointer(start: slots.baseAddress! + slot * slotBytes, count: lengths[slot])
            lengths[slot] = try pairs[(sent + slot) % sessions].1.unprotectRTP(buffer, length: lengths[slot])
        }
        let t2 = threadCPU()
        protecting += t1 - t0
        unprotecting += t2 - t1
        for slot in 0..<count {
            let back = UnsafeRawBufferPointer(start: slots.baseAddress! + slot * slotBytes + 12, count: payload)
            guard lengths[slot] == template.count, back.elementsEqual(template[12...]) else {
                throw BenchError.mismatch(packet: sent + slot)
            }
        }
        sent += count
    }
    return Figures(createMicroseconds: created.nanoseconds / 1000 / Double(2 * sessions),
                   protectNanoseconds: protecting.nanoseconds / Double(packets),
                   unprotectNanoseconds: unprotecting.nanoseconds / Double(packets))
}

func column(_ value: Double, _ width: Int) -> String {
    let text = value >= 100 ? String(Int(value.rounded())) : String(Double(Int(value * 10)) / 10)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

print("srtp-bench: \(packets) RTP packets of \(12 + payload) bytes per suite, \(sessions) session(s) round-robin")
print("suite                     implementation  create us  protect ns  unprotect ns  ns/packet relayed")
for suite in SRTPCryptoSuite.allCases {
    let key = SDPCryptoKeyParameter(keyAndSalt: (0..<suite.keyAndSaltLength).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) })
    var rows: [(String, Figures)] = []
    if only != "libsrtp2" {
        rows.append(("SwiftSBC", try measure {
            (try SRTPContext(suite: suite, key: key, direction: .outbound),
             try SRTPContext(suite: suite, key: key, direction: .inbound))
        }))
    }
    if only != "swiftsbc" {
        rows.append(("libsrtp2", try measure {
            (try SRTPLibrarySession(suite: suite, key: key, direction: .outbound),
             try SRTPLibrarySession(suite: suite, key: key, direction: .inbound))
        }))
    }
    for (name, figures) in rows {
        // A bridged packet is either protected or unprotected: the mean is what one costs.
        let relayed = (figures.protectNanoseconds + figures.unprotectNanoseconds) / 2
        print(padded(suite.name, 26) + padded(name, 14)
              + column(figures.createMicroseconds, 11) + column(figures.protectNanoseconds, 12)
              + column(figures.unprotectNanoseconds, 14) + column(relayed, 19))
    }
}
