import Dispatch

/// Collects latency samples and reports percentiles.
struct LatencySummary: Sendable {
    let count: Int
    let p50: Double
    let p99: Double
    let p999: Double
    let max: Double

    /// Summarises samples in nanoseconds; figures are in milliseconds.
    init(nanoseconds samples: [UInt64]) {
        let sorted = samples.sorted()
        count = sorted.count
        func percentile(_ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
            return Double(sorted[Swift.max(0, index)]) / 1e6
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        p999 = percentile(0.999)
        max = Double(sorted.last ?? 0) / 1e6
    }
}

/// Monotonic nanoseconds for timing (CLOCK_MONOTONIC, through Dispatch: `timespec` is declared
/// by both Glibc and CoreFoundation, and which one a file sees depends on the module's imports).
func monotonicNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

