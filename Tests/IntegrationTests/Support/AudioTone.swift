// Audio for the media tests that check content, not only packet counts: G.711 (A-law, µ-law)
// both ways, sine tones, 16-bit mono WAV files (baresip plays and records them), and tone
// detection with the Goertzel algorithm.
import Foundation

enum G711 {
    /// ITU-T G.711 A-law encoding of one 16-bit linear sample.
    static func alaw(_ sample: Int16) -> UInt8 {
        var pcm = Int(sample) >> 3 // A-law works on 13 bits
        let mask: Int
        if pcm >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            pcm = -pcm - 1
        }
        let segmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        guard let segment = segmentEnds.firstIndex(where: { pcm <= $0 }) else { return UInt8(0x7F ^ mask) }
        var value = segment << 4
        value |= segment < 2 ? (pcm >> 1) & 0x0F : (pcm >> segment) & 0x0F
        return UInt8(value ^ mask)
    }

    static func alawDecode(_ byte: UInt8) -> Int16 {
        let a = Int(byte ^ 0x55)
        var t = (a & 0x0F) << 4
        let segment = (a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (segment - 1)
        }
        return Int16(a & 0x80 != 0 ? t : -t)
    }

    static func ulawDecode(_ byte: UInt8) -> Int16 {
        let u = Int(~byte)
        var t = ((u & 0x0F) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        return Int16(u & 0x80 != 0 ? 0x84 - t : t - 0x84)
    }

    /// The samples of a G.711 payload of RTP payload type 8 (PCMA) or 0 (PCMU); nil otherwise.
    static func decode(_ payload: ArraySlice<UInt8>, payloadType: UInt8) -> [Int16]? {
        switch payloadType {
        case 8: return payload.map(alawDecode)
        case 0: return payload.map(ulawDecode)
        default: return nil
        }
    }
}

/// A sine tone, sample by sample, with its phase kept across calls (packet after packet).
struct ToneGenerator {
    let frequency: Double
    let amplitude: Double
    let sampleRate: Double
    private var index = 0

    init(frequency: Double, amplitude: Double = 8000, sampleRate: Double = 8000) {
        self.frequency = frequency
        self.amplitude = amplitude
        self.sampleRate = sampleRate
    }

    mutating func next(_ count: Int) -> [Int16] {
        defer { index += count }
        return (index..<index + count).map { Int16(amplitude * sin(2 * .pi * frequency * Double($0) / sampleRate)) }
    }
}

enum ToneDetector {
    /// The share of `samples`' energy at `frequency` (Goertzel at that exact frequency,
    /// normalised so that a pure sine gives about 1 and silence or another tone about 0).
    static func share(of frequency: Double, in samples: ArraySlice<Int16>, sampleRate: Double = 8000) -> Double {
        guard !samples.isEmpty else { return 0 }
        let coefficient = 2 * cos(2 * .pi * frequency / sampleRate)
        var s1 = 0.0, s2 = 0.0, energy = 0.0
        for sample in samples {
            let x = Double(sample)
            let s = x + coefficient * s1 - s2
            s2 = s1
            s1 = s
            energy += x * x
        }
        guard energy > 0 else { return 0 }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return 2 * power / (Double(samples.count) * energy)
    }

    /// Root-mean-square level of a block of samples.
    static func rms(_ samples: ArraySlice<Int16>) -> Double {
        guard !samples.isEmpty else { return 0 }
        return (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
    }

    struct Report: CustomStringConvertible {
        /// 100 ms windows with sound in them (RMS above the floor).
        let audible: Int
        /// Audible windows where `frequency` holds most of the energy.
        let matching: Int
        /// Audible windows where `other` does.
        let otherMatching: Int
        let frequency: Double
        let other: Double
        /// Duration of the matching audio.
        var seconds: Double { Double(matching) / 10 }
        var description: String {
            "\(matching) of \(audible) audible 100 ms windows carry \(Int(frequency)) Hz (\(otherMatching) carry \(Int(other)) Hz)"
        }
    }

    /// Splits `samples` (8 kHz) into 100 ms windows and counts those dominated by `frequency`
    /// (share above 0.7) and by `other` (the tone of the opposite direction: an echo or a
    /// loop would show up there).
    static func analyse(_ samples: [Int16], frequency: Double, other: Double) -> Report {
        var audible = 0, matching = 0, otherMatching = 0
        var start = 0
        while start + 800 <= samples.count {
            let window = samples[start..<start + 800]
            start += 800
            guard rms(window) > 300 else { continue }
            audible += 1
            if share(of: frequency, in: window) > 0.7 { matching += 1 }
            if share(of: other, in: window) > 0.7 { otherMatching += 1 }
        }
        return Report(audible: audible, matching: matching, otherMatching: otherMatching,
                      frequency: frequency, other: other)
    }
}

/// 16-bit mono PCM WAV files.
enum WAV {
    static func write(_ samples: [Int16], sampleRate: Int = 8000, to url: URL) throws {
        var data = Data()
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        let payload = UInt32(samples.count * 2)
        data.append(contentsOf: Array("RIFF".utf8)); le32(36 + payload); data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); le32(16); le16(1); le16(1)
        le32(UInt32(sampleRate)); le32(UInt32(sampleRate * 2)); le16(2); le16(16)
        data.append(contentsOf: Array("data".utf8)); le32(payload)
        for sample in samples { le16(UInt16(bitPattern: sample)) }
        try data.write(to: url)
    }

    /// The samples of a 16-bit PCM WAV file (first channel) and its sample rate. A `data`
    /// chunk whose size field was never patched (a writer that did not close) reads to the end.
    static func read(_ url: URL) throws -> (samples: [Int16], sampleRate: Int, channels: Int) {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == Array("RIFF".utf8)[...], bytes[8..<12] == Array("WAVE".utf8)[...] else {
            throw HarnessError("\(url.path) is not a WAV file (\(bytes.count) bytes)")
        }
        var offset = 12
        var sampleRate = 0, channels = 1, bits = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                channels = u16(body + 2)
                sampleRate = u32(body + 4)
                bits = u16(body + 14)
            } else if id == "data" {
                guard bits == 16, channels >= 1 else { throw HarnessError("\(url.path): \(bits)-bit audio, expected 16") }
                let end = size == 0 || body + size > bytes.count ? bytes.count : body + size
                let frame = 2 * channels
                var samples: [Int16] = []
                samples.reserveCapacity((end - body) / frame)
                var at = body
                while at + frame <= end {
                    samples.append(Int16(bitPattern: UInt16(u16(at))))
                    at += frame
                }
                return (samples, sampleRate, channels)
            }
            offset = body + size + (size & 1)
        }
        throw HarnessError("\(url.path) has no data chunk")
    }
}
