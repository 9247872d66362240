import Synchronization

/// The measured phases of a `latency` run, by event index: events `0..<warmup` are the
/// untimed warm-up, then each phase holds `perPhase` consecutive events (a quiet phase, and
/// with `--replay-while` a phase under replays after it). Delivery latencies are filed by the
/// index each event carries; publish acknowledgements, which arrive in publishing order, by
/// their position.
final class LatencyPhases: Sendable {
    let warmup: Int
    let perPhase: Int
    let phases: Int
    private let filed: Mutex<[[UInt64]]>

    init(warmup: Int, perPhase: Int, phases: Int) {
        self.warmup = warmup
        self.perPhase = perPhase
        self.phases = phases
        filed = Mutex(Array(repeating: [], count: phases))
    }

    /// The phase of the event numbered `index`; nil for the warm-up and past the last phase.
    func phase(of index: Int) -> Int? {
        guard index >= warmup, perPhase > 0 else { return nil }
        let phase = (index - warmup) / perPhase
        return phase < phases ? phase : nil
    }

    /// Files one delivery.
    func delivered(_ latency: UInt64, index: Int) {
        guard let phase = phase(of: index) else { return }
        filed.withLock { $0[phase].append(latency) }
    }

    /// The delivery latencies filed so far, per phase.
    var deliveries: [[UInt64]] { filed.withLock { $0 } }

    /// `ordered` (one sample per event, in publishing order) cut into the phases, the
    /// warm-up left out.
    func split(_ ordered: [UInt64]) -> [[UInt64]] {
        (0..<phases).map { phase in
            let start = min(ordered.count, warmup + phase * perPhase)
            let end = min(ordered.count, start + perPhase)
            return Array(ordered[start..<end])
        }
    }
}
