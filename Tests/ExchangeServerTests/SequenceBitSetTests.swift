import Testing

@testable import ExchangeServer

/// The auditor replay's memory of answered events: it must agree with a plain set, whatever the
/// order of insertion, and cost a bit per event in its range.
@Suite struct SequenceBitSetTests {
    @Test func agreesWithASetInAnyOrderAroundWordEdges() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var bits = SequenceBitSet()
            var reference = Set<UInt64>()
            let origin = UInt64.random(in: 1_000...1_000_000, using: &generator)
            for _ in 0..<Int.random(in: 1...300, using: &generator) {
                // Mostly increasing, as the log answers them, with some below the first.
                let sequence = origin &+ UInt64.random(in: 0...2_000, using: &generator) &- 500
                bits.insert(sequence)
                reference.insert(sequence)
            }
            let low = reference.min()! &- 130
            for sequence in low...(reference.max()! + 130) {
                #expect(bits.contains(sequence) == reference.contains(sequence), "sequence \(sequence)")
            }
        }
    }

    @Test func costsLittleForDenseAndForFarApartEvents() {
        var dense = SequenceBitSet()
        #expect(dense.isEmpty && !dense.contains(0))
        for sequence in stride(from: UInt64(1_000_001), through: 2_000_000, by: 3) { dense.insert(sequence) }
        #expect(dense.contains(1_000_001) && dense.contains(1_000_004) && dense.contains(2_000_000))
        #expect(!dense.contains(1_000_002) && !dense.contains(1_999_999) && !dense.contains(2_000_003))
        #expect(!dense.contains(0) && !dense.contains(UInt64.max))
        // 333,334 events: a hash set of them would take about 13 MB.
        #expect(dense.byteCount <= 1_000_000 / 2, "about half a byte per event, not an entry per event")

        var sparse = SequenceBitSet()
        for sequence: UInt64 in [0, 63, 64, 1_000_000_000, UInt64.max - 1, UInt64.max] { sparse.insert(sequence) }
        #expect([0, 63, 64, 1_000_000_000, UInt64.max - 1, UInt64.max].allSatisfy { sparse.contains($0) })
        #expect(![1, 62, 65, 999_999_999, UInt64.max - 2].contains { sparse.contains($0) })
        #expect(sparse.byteCount <= 1024, "far-apart events cost a word each, not the range between them")
    }
}
