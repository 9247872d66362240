import Testing

@testable import exchange_bench

/// How the latency mode files its samples into the warm-up, the quiet phase and the phase
/// under replays.
@Suite struct LatencyPhasesTests {
    @Test func eventsAreFiledByTheirIndex() {
        let phases = LatencyPhases(warmup: 10, perPhase: 100, phases: 2)
        #expect(phases.phase(of: 0) == nil)
        #expect(phases.phase(of: 9) == nil)
        #expect(phases.phase(of: 10) == 0)
        #expect(phases.phase(of: 109) == 0)
        #expect(phases.phase(of: 110) == 1)
        #expect(phases.phase(of: 209) == 1)
        #expect(phases.phase(of: 210) == nil)
        phases.delivered(1, index: 5)
        phases.delivered(2, index: 50)
        phases.delivered(3, index: 150)
        phases.delivered(4, index: 60)
        #expect(phases.deliveries == [[2, 4], [3]])
    }

    @Test func acknowledgementsAreCutByPosition() {
        let phases = LatencyPhases(warmup: 2, perPhase: 3, phases: 2)
        #expect(phases.split([9, 9, 1, 2, 3, 4, 5, 6]) == [[1, 2, 3], [4, 5, 6]])
        // A run cut short leaves the later phases short or empty, never out of range.
        #expect(phases.split([9, 9, 1, 2]) == [[1, 2], []])
        #expect(phases.split([]) == [[], []])
    }
}
