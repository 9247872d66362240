/// The position of a complete (perfect) subtree in an append-only Merkle tree.
///
/// The node at `level` *l* and `index` *i* is the root of the perfect subtree over the leaves
/// `[i · 2^l, (i + 1) · 2^l)`. Level 0 holds the leaf hashes. Such a node never changes once
/// all of its leaves exist, so it can be stored once and read forever.
public struct MerkleNodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The height of the subtree: 0 for a leaf, up to 63.
    public let level: Int
    /// The position of the subtree among the subtrees of the same level, from the left.
    public let index: UInt64

    /// Creates a node identifier.
    ///
    /// - Parameters:
    ///   - level: The subtree height, `0...63`.
    ///   - index: The subtree's position within its level.
    public init(level: Int, index: UInt64) {
        precondition((0...63).contains(level), "a Merkle node level is in 0...63")
        self.level = level
        self.index = index
    }

    /// The number of leaves under the node: `2^level`.
    public var leafCount: UInt64 { 1 << UInt64(level) }

    /// The index of the node's first leaf.
    public var firstLeaf: UInt64 { index << UInt64(level) }

    /// A 9-byte key for ordered key-value stores: the level as one byte, then the index as
    /// a big-endian `UInt64`, so that byte order is (level, index) order. Stores of format 3
    /// and before keyed their nodes so; new ones use ``appendOrderKey``.
    public var storageKey: [UInt8] {
        var key: [UInt8] = [UInt8(level)]
        key.reserveCapacity(9)
        for shift in stride(from: 56, through: 0, by: -8) {
            key.append(UInt8(truncatingIfNeeded: index >> UInt64(shift)))
        }
        return key
    }

    /// Decodes a key written by ``storageKey``.
    ///
    /// - Parameters:
    ///   - storageKey: Exactly 9 bytes: level, then the big-endian index.
    public init?(storageKey: some Collection<UInt8>) {
        guard storageKey.count == 9, let level = storageKey.first, level < 64 else { return nil }
        var index: UInt64 = 0
        for byte in storageKey.dropFirst() {
            index = index << 8 | UInt64(byte)
        }
        self.init(level: Int(level), index: index)
    }

    /// The index of the node's last leaf. Defined for the nodes of trees of up to 2^64 - 1
    /// leaves (`firstLeaf` likewise): a node past them has no last leaf in a `UInt64`.
    public var lastLeaf: UInt64 { index << UInt64(level) | (UInt64(1) << UInt64(level) &- 1) }

    /// A 9-byte key in the order nodes are completed: the index of the node's last leaf as a
    /// big-endian `UInt64`, then the level as one byte.
    ///
    /// The nodes an append completes all end at the new leaf, so they are adjacent under this
    /// key and follow every node written before: an ordered store appends them at its end.
    /// ``storageKey`` instead groups nodes by level, which spreads one append's nodes over as
    /// many places as it has levels.
    public var appendOrderKey: [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(9)
        let last = lastLeaf
        for shift in stride(from: 56, through: 0, by: -8) {
            key.append(UInt8(truncatingIfNeeded: last >> UInt64(shift)))
        }
        key.append(UInt8(level))
        return key
    }

    /// Decodes a key written by ``appendOrderKey``; `nil` unless it names a node (9 bytes, a
    /// level under 64, and a last leaf whose low `level` bits are all ones).
    ///
    /// - Parameters:
    ///   - appendOrderKey: The big-endian last leaf, then the level.
    public init?(appendOrderKey: some Collection<UInt8>) {
        guard appendOrderKey.count == 9 else { return nil }
        var last: UInt64 = 0
        for byte in appendOrderKey.prefix(8) {
            last = last << 8 | UInt64(byte)
        }
        guard let level = appendOrderKey.dropFirst(8).first, level < 64 else { return nil }
        let ones = UInt64(1) << UInt64(level) &- 1
        guard last & ones == ones else { return nil }
        self.init(level: Int(level), index: last >> UInt64(level))
    }

    /// Orders nodes by level, then index (the order of ``storageKey``).
    ///
    /// - Parameters:
    ///   - lhs: A node.
    ///   - rhs: Another node.
    public static func < (lhs: MerkleNodeID, rhs: MerkleNodeID) -> Bool {
        (lhs.level, lhs.index) < (rhs.level, rhs.index)
    }

    /// `level/index`, for logs.
    public var description: String { "\(level)/\(index)" }
}

/// One node hash that an append produced and the store must persist.
public struct MerkleNodeWrite: Sendable, Hashable {
    /// The node being written.
    public let node: MerkleNodeID
    /// The node's hash.
    public let hash: Digest

    /// Creates a node write.
    ///
    /// - Parameters:
    ///   - node: The node being written.
    ///   - hash: The node's hash.
    public init(node: MerkleNodeID, hash: Digest) {
        self.node = node
        self.hash = hash
    }
}
