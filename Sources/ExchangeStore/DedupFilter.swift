/// A blocked Bloom filter over the deduplication keys of one sorted run: whether the run may
/// hold a key, so that a look-up reads only the runs that may.
///
/// Each key sets ``probes`` bits inside one 512-bit block (one cache line) chosen by its hash,
/// so a question costs one cache miss. At ``bitsPerEntry`` bits per key about 1% of the keys a
/// run does not hold are answered "may hold" (measured in `DedupFilterTests`); such a false
/// positive costs one B-tree read that finds nothing, never a wrong answer. A key the run holds
/// is always answered "may hold".
///
/// Filters live in memory only: they are built as a run is written and, when the store opens,
/// from the runs' keys. The hash is `DedupCache.Key`'s, seeded per process, which is why a filter
/// is never stored.
struct DedupFilter: Sendable {
    /// Bits per key: 10 bits (1.25 bytes) per indexed entry.
    static let bitsPerEntry = 10
    /// Bits set per key, all in the key's block.
    static let probes = 7
    private static let wordsPerBlock = 8

    private var words: [UInt64]
    private let blockCount: UInt64

    /// An empty filter sized for `capacity` keys.
    init(capacity: Int) {
        let blocks = max(1, (Self.sizingEntries(capacity) * Self.bitsPerEntry + 511) / 512)
        words = [UInt64](repeating: 0, count: blocks * Self.wordsPerBlock)
        blockCount = UInt64(blocks)
    }

    /// The entries a filter for `capacity` keys is sized for: capped where no store reaches
    /// (``DedupRunCatalog/maxRunEntries``), so that the sizing cannot trap on a damaged count.
    static func sizingEntries(_ capacity: Int) -> Int {
        min(max(0, capacity), Int(DedupRunCatalog.maxRunEntries))
    }

    /// A filter that answers "may hold" for every key: every look-up reads the run. For tests.
    static func saturated(capacity: Int) -> DedupFilter {
        var filter = DedupFilter(capacity: 0)
        filter.words = filter.words.map { _ in UInt64.max }
        return filter
    }

    /// The memory the filter's bits take.
    var byteCount: Int { words.count * 8 }

    /// Records a key by its hash (`DedupCache.Key.hash`).
    mutating func insert(_ hash: Int) {
        let (first, bits) = position(hash)
        words.withUnsafeMutableBufferPointer { words in
            var bits = bits
            for _ in 0..<Self.probes {
                let bit = Int(truncatingIfNeeded: bits & 511)
                words[first &+ bit >> 6] |= 1 &<< UInt64(bit & 63)
                bits >>= 9
            }
        }
    }

    /// Whether a key with this hash may be in the run: `false` only for a key never inserted.
    func mayContain(_ hash: Int) -> Bool {
        let (first, bits) = position(hash)
        return words.withUnsafeBufferPointer { words in
            var bits = bits
            for _ in 0..<Self.probes {
                let bit = Int(truncatingIfNeeded: bits & 511)
                if words[first &+ bit >> 6] & (1 &<< UInt64(bit & 63)) == 0 { return false }
                bits >>= 9
            }
            return true
        }
    }

    /// The first word of the key's block, and 63 bits (seven 9-bit positions) mixed from its hash.
    @inline(__always)
    private func position(_ hash: Int) -> (Int, UInt64) {
        let value = UInt64(bitPattern: Int64(hash))
        // The block from the high half (multiply-shift onto 0..<blockCount), the bits from all
        // of it, remixed (splitmix64's finaliser) so that they do not repeat the block's bits.
        let block = Int(truncatingIfNeeded: ((value >> 32) &* blockCount) >> 32)
        var mixed = value &+ 0x9E37_79B9_7F4A_7C15
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        mixed ^= mixed >> 31
        return (block &* Self.wordsPerBlock, mixed)
    }
}
