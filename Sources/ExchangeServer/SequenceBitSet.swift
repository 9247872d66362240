/// A set of event sequences held as one bit each, from the lowest inserted to the highest.
///
/// The auditor's replay remembers which events it answered, so that it can answer their later
/// receipts: with a hash set that cost about 40 bytes per event, this costs one bit per event
/// in the answered range (1.25 MB for ten million).
struct SequenceBitSet {
    /// The sequence of bit 0 of `words[0]`; a multiple of 64.
    private var base: UInt64 = 0
    private var words: [UInt64] = []

    /// Whether nothing was inserted.
    var isEmpty: Bool { words.isEmpty }

    /// Bytes held by the bits.
    var byteCount: Int { words.count * 8 }

    mutating func insert(_ sequence: UInt64) {
        let aligned = sequence & ~63
        if words.isEmpty {
            base = aligned
        } else if aligned < base {
            words.insert(contentsOf: repeatElement(0, count: Int((base - aligned) >> 6)), at: 0)
            base = aligned
        }
        let offset = sequence - base
        let word = Int(offset >> 6)
        if word >= words.count {
            words.append(contentsOf: repeatElement(0, count: word - words.count + 1))
        }
        words[word] |= 1 << (offset & 63)
    }

    func contains(_ sequence: UInt64) -> Bool {
        guard sequence >= base else { return false }
        let offset = sequence - base
        let word = offset >> 6
        guard word < UInt64(words.count) else { return false }
        return words[Int(word)] & (1 << (offset & 63)) != 0
    }
}
