import Testing

@testable import ExchangeStore

/// The deduplication cache: a batch's entries are visible to later events of the batch, kept
/// when it commits and gone when it is abandoned; its keys sort as LMDB orders them in the
/// index's runs.
@Suite struct DedupCacheTests {
    @Test func pendingEntriesAreRolledBackAndCommittedOnesKept() {
        let cache = DedupCache(threshold: 100)
        let committed = DedupCache.key(publisher: 1, id: "a")
        cache.insert(committed, .init(sequence: 1, routeCount: 2))
        cache.didCommit()
        let abandoned = DedupCache.key(publisher: 1, id: "b")
        cache.insert(abandoned, .init(sequence: 2, routeCount: 0))
        #expect(cache.lookup(abandoned)?.sequence == 2, "a later event of the same batch sees it")
        cache.rollback()
        #expect(cache.lookup(abandoned) == nil)
        #expect(cache.lookup(committed)?.sequence == 1)
        #expect(cache.lookup(DedupCache.key(publisher: 2, id: "a")) == nil, "the publisher is part of the key")
        cache.rollback()
        #expect(cache.lookup(committed)?.routeCount == 2, "a rollback with nothing pending changes nothing")
        cache.insert(abandoned, .init(sequence: 3, routeCount: 0))
        cache.didCommit()
        cache.rollback()
        #expect(cache.lookup(abandoned)?.sequence == 3, "once its batch committed, a rollback keeps it")
    }

    @Test func keysSortBytewiseAsLMDBComparesThem() {
        // Short keys, long keys and keys full of zero bytes, where an integer prefix could
        // disagree with the bytes.
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0, 0, 1, 0x7F, 0x80, 0xFF]
        let keys = (0..<400).map { _ in
            DedupCache.Key(bytes: (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        for left in keys.prefix(60) {
            for right in keys {
                #expect(
                    DedupCache.Key.precedes(left, right) == left.bytes.lexicographicallyPrecedes(right.bytes),
                    "\(left.bytes) against \(right.bytes)")
            }
        }
        #expect(DedupCache.Key.precedes(DedupCache.Key(bytes: [1, 2]), DedupCache.Key(bytes: [1, 2, 0])))
        #expect(!DedupCache.Key.precedes(DedupCache.Key(bytes: [1, 2, 0]), DedupCache.Key(bytes: [1, 2])))
    }
}
