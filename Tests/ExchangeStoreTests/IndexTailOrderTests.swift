import Testing

@testable import ExchangeStore

/// The index tail's audit filter keys: kept whole, end to end, and merged in LMDB's order
/// (bytewise, a shorter key first).
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
        // Built from prefixes and indexes as the writer builds it.
        var list = FilterKeyList()
        var expectedKeys: [[UInt8]] = []
        for (position, key) in keys.enumerated() {
            let index = UInt64(position % 3)
            list.append(prefix: key, index: index)
            expectedKeys.append(key + withUnsafeBytes(of: index.bigEndian, Array.init))
        }
        #expect((0..<list.count).map(list.key) == expectedKeys)
        let expected = expectedKeys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(list.lmdbOrder().map(list.key) == expected)
        #expect(FilterKeyList().lmdbOrder().isEmpty)

        var joined = FilterKeyList()
        var second = FilterKeyList()
        joined.append(prefix: [1, 2], index: 7)
        second.append(prefix: [3], index: 8)
        second.append(prefix: [], index: 9)
        joined.append(contentsOf: second)
        #expect((0..<joined.count).map(joined.key) == [[1, 2, 0, 0, 0, 0, 0, 0, 0, 7], [3, 0, 0, 0, 0, 0, 0, 0, 8], [0, 0, 0, 0, 0, 0, 0, 9]])
    }
}
