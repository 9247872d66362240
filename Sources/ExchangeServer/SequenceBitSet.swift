/// A set of event sequences held as bits, 64 to a word, with only the words that hold one.
///
/// The auditor's replay remembers which events it answered, so that it can answer their later
/// receipts. A hash set cost about 40 bytes per event; this costs about half a byte per event
/// when the answered events are close together (5 MB for ten million consecutive ones), and
/// one word with its key when they are far apart.
struct SequenceBitSet {
    /// Bit `s % 64` of the word keyed `s / 64` is set when `s` was inserted.
    private var words: [UInt64: UInt64] = [:]

    /// Whether nothing was inserted.
    var isEmpty: Bool { words.isEmpty }

    /// Bytes of key and word storage reserved, a lower bound of the memory held.
    var byteCount: Int { words.capacity * 16 }

    mutating func insert(_ sequence: UInt64) {
        words[sequence >> 6, default: 0] |= 1 << (sequence & 63)
    }

    func contains(_ sequence: UInt64) -> Bool {
        (words[sequence >> 6] ?? 0) & (1 << (sequence & 63)) != 0
    }
}
