import Testing

@testable import ExchangeStore

/// The order a merge writes `audit_filters` keys in is LMDB's: bytewise, a shorter key first.
@Suite struct IndexTailOrderTests {
    @Test func filterKeysAreOrderedAsLMDBComparesThem() {
        var generator = SystemRandomNumberGenerator()
        // Keys sharing long prefixes, holding zero bytes, and prefixes of one another.
        let stems: [[UInt8]] = [[], [0], [0, 0], [4, 9] + Array("published".utf8), [1, 3, 0x61, 0x62], [0xFF], [1, 3, 0x61, 0x62, 0]]
        var keys: [[UInt8]] = []
        for _ in 0..<3_000 {
            let stem = stems.randomElement(using: &generator)!
            let tail = (0..<Int.random(in: 0...10, using: &generator)).map { _ in UInt8.random(in: 0...2, using: &generator) }
            keys.append(stem + tail)
        }
        let expected = keys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(IndexTail.lmdbOrder(keys).map { keys[$0] } == expected)
        #expect(IndexTail.lmdbOrder([]).isEmpty)
    }
}
