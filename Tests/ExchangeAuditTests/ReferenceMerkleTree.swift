@testable import ExchangeAudit

/// A naive, recursive transcription of RFC 9162 §2.1 (MTH, PATH, PROOF/SUBPROOF) over a list of
/// leaf hashes, independent of the stored-node implementation under test.
final class ReferenceMerkleTree {
    let tree: MerkleTree
    private(set) var leaves: [Digest] = []
    private var memo: [Range<Int>: Digest] = [:]

    init(tree: MerkleTree = MerkleTree()) {
        self.tree = tree
    }

    func append(leafHash: Digest) {
        leaves.append(leafHash)
    }

    /// The largest power of two smaller than n (n > 1), computed the slow way.
    private static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    /// MTH(D[range]).
    func mth(_ range: Range<Int>) throws -> Digest {
        if range.isEmpty { return try tree.emptyRoot() }
        if range.count == 1 { return leaves[range.lowerBound] }
        if let cached = memo[range] { return cached }
        let k = Self.k(range.count)
        let split = range.lowerBound + k
        let hash = try tree.nodeHash(mth(range.lowerBound..<split), mth(split..<range.upperBound))
        memo[range] = hash
        return hash
    }

    /// PATH(m, D[range]).
    func path(_ m: Int, _ range: Range<Int>) throws -> [Digest] {
        if range.count <= 1 { return [] }
        let k = Self.k(range.count)
        let split = range.lowerBound + k
        if m < k {
            return try path(m, range.lowerBound..<split) + [mth(split..<range.upperBound)]
        }
        return try path(m - k, split..<range.upperBound) + [mth(range.lowerBound..<split)]
    }

    /// PROOF(m, D[0:n]).
    func consistency(_ m: Int, _ n: Int) throws -> [Digest] {
        if m == 0 || m == n { return [] }
        return try subproof(m, 0..<n, true)
    }

    private func subproof(_ m: Int, _ range: Range<Int>, _ b: Bool) throws -> [Digest] {
        if m == range.count {
            return b ? [] : [try mth(range)]
        }
        let k = Self.k(range.count)
        let split = range.lowerBound + k
        if m <= k {
            return try subproof(m, range.lowerBound..<split, b) + [mth(split..<range.upperBound)]
        }
        return try subproof(m - k, split..<range.upperBound, false) + [mth(range.lowerBound..<split)]
    }
}

extension Digest {
    /// A digest from hex that must be valid (test vectors).
    init(_ hex: String) {
        try! self.init(hex: hex)
    }
}

/// Decodes hex test input.
func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var iterator = Array(hex.utf8).makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        result.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)!)
    }
    return result
}
