import Foundation
import Testing

@testable import ExchangeStore

/// The runs' filters: a key a run holds is never missed, and few keys it does not hold cost a read.
@Suite struct DedupFilterTests {
    @Test func aKeyInsertedIsAlwaysFoundAndAboutOnePercentOfOthersMayBe() {
        let held = (0..<20_000).map { _ in DedupCache.key(publisher: 1, id: UUID().uuidString) }
        var filter = DedupFilter(capacity: held.count)
        for key in held { filter.insert(key.hash) }
        #expect(held.allSatisfy { filter.mayContain($0.hash) }, "no false negatives")
        #expect(filter.byteCount <= (held.count * DedupFilter.bitsPerEntry + 511) / 512 * 64, "10 bits per entry")

        let others = (0..<200_000).map { _ in DedupCache.key(publisher: 1, id: UUID().uuidString) }
        let falsePositives = others.filter { filter.mayContain($0.hash) }.count
        #expect(falsePositives < others.count / 50, "\(falsePositives) false positives in \(others.count)")
    }

    @Test func anEmptyFilterHoldsNothingAndASaturatedOneEverything() {
        let keys = (0..<1_000).map { DedupCache.key(publisher: 2, id: "k-\($0)") }
        let empty = DedupFilter(capacity: 0)
        #expect(!keys.contains { empty.mayContain($0.hash) })
        let saturated = DedupFilter.saturated(capacity: 10)
        #expect(keys.allSatisfy { saturated.mayContain($0.hash) })
    }
}
