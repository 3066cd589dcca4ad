/// Keeps latency samples (bounded) and reports percentiles: how the SBC measures itself, e.g.
/// the time from a carrier's failure response arriving to the next INVITE leaving.
struct LatencyRecorder {
    private var samples: [Duration] = []
    private let capacity: Int
    private(set) var count = 0

    init(capacity: Int = 200_000) {
        self.capacity = capacity
        samples.reserveCapacity(min(capacity, 4096))
    }

    /// Past `capacity` samples, new ones replace old ones round-robin: percentiles stay those of
    /// recent traffic and memory stays bounded.
    mutating func record(_ sample: Duration) {
        if samples.count < capacity {
            samples.append(sample)
        } else {
            samples[count % capacity] = sample
        }
        count += 1
    }

    /// The `fraction` percentile (0...1) of the kept samples, nil without samples.
    func percentile(_ fraction: Double) -> Duration? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let rank = Int((fraction * Double(sorted.count - 1)).rounded(.up))
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// "p50 120 us, p99 480 us, max 900 us over 1000 samples", for logs.
    var summary: String {
        guard let p50 = percentile(0.5), let p99 = percentile(0.99), let max = percentile(1) else { return "no samples" }
        func micros(_ value: Duration) -> Int64 {
            value.components.seconds * 1_000_000 + value.components.attoseconds / 1_000_000_000_000
        }
        return "p50 \(micros(p50)) us, p99 \(micros(p99)) us, max \(micros(max)) us over \(count) samples"
    }
}
