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

    @Test func holdsABitPerEventOfItsRange() {
        var bits = SequenceBitSet()
        #expect(bits.isEmpty && !bits.contains(0))
        for sequence in stride(from: UInt64(1_000_001), through: 2_000_000, by: 3) { bits.insert(sequence) }
        #expect(bits.contains(1_000_001) && bits.contains(1_000_004) && bits.contains(2_000_000))
        #expect(!bits.contains(1_000_002) && !bits.contains(1_999_999) && !bits.contains(2_000_003))
        #expect(!bits.contains(0) && !bits.contains(UInt64.max))
        #expect(bits.byteCount <= 1_000_000 / 8 + 16, "one bit per event in the range, not an entry per event")
    }
}
