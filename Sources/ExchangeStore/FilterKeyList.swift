import Foundation

/// Audit filter keys (``AuditFilterKey``: a prefix, then the entry's index, 8 bytes big-endian)
/// kept end to end in one buffer.
///
/// A batch adds about seven per `published` entry; as separate arrays each cost the writer an
/// allocation when made, a retain when added to the index tail and a release when the tail is
/// merged. Here a batch's keys, and a generation's, are two arrays whatever their number.
struct FilterKeyList: Sendable, Equatable {
    /// The keys' bytes, one after the other.
    private(set) var bytes: [UInt8] = []
    /// Where each key ends in ``bytes``.
    private(set) var ends: [Int] = []

    /// The number of keys.
    var count: Int { ends.count }

    /// Adds the key of `prefix` for the entry at `index`.
    mutating func append(prefix: [UInt8], index: UInt64) {
        bytes.append(contentsOf: prefix)
        withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
        ends.append(bytes.count)
    }

    /// Adds every key of `other`, after these.
    mutating func append(contentsOf other: FilterKeyList) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        ends.append(contentsOf: other.ends.lazy.map { $0 + base })
    }

    /// The range of key `position` in ``bytes``.
    func range(_ position: Int) -> Range<Int> {
        (position == 0 ? 0 : ends[position - 1])..<ends[position]
    }

    /// Calls `body` with the bytes of key `position`.
    func withKey<Result>(_ position: Int, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range(position)])) }
    }

    /// Key `position`, copied.
    func key(_ position: Int) -> [UInt8] { Array(bytes[range(position)]) }

    /// The positions of the keys in LMDB's key order (bytewise, a shorter key first on a tie),
    /// by each key's first eight bytes and then `memcmp`: what a merge writes them in.
    func lmdbOrder() -> [Int] {
        bytes.withUnsafeBytes { bytes in
            var order: [(head: UInt64, position: Int)] = []
            order.reserveCapacity(count)
            for position in 0..<count {
                let range = self.range(position)
                var head: UInt64 = 0
                for offset in 0..<8 { head = head << 8 | UInt64(offset < range.count ? bytes[range.lowerBound + offset] : 0) }
                order.append((head, position))
            }
            order.sort { left, right in
                if left.head != right.head { return left.head < right.head }
                let a = self.range(left.position)
                let b = self.range(right.position)
                let common = min(a.count, b.count)
                let compared = common == 0 ? 0 : memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, common)
                return compared != 0 ? compared < 0 : a.count < b.count
            }
            return order.map(\.position)
        }
    }
}
