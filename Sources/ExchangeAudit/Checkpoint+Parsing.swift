extension Checkpoint {
    /// Parses checkpoint note text.
    ///
    /// - Parameters:
    ///   - text: At least three lines, each ending in a newline: origin, decimal tree size without
    ///     leading zeros, canonical base64 of a 32-byte root hash; then optional extension lines,
    ///     of which a first `tree-hash <algorithm>` line names a non-default tree hash.
    public init(text: String) throws {
        guard text.utf8.last == 0x0a else {
            throw AuditError(.malformedCheckpoint, "checkpoint text ends in a newline")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else {
            throw AuditError(.malformedCheckpoint, "a checkpoint has an origin, a tree size and a root hash")
        }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              sizeText == "0" || !sizeText.hasPrefix("0"), let treeSize = UInt64(sizeText)
        else {
            throw AuditError(.malformedCheckpoint, "the tree size is a decimal number without leading zeros")
        }
        let rootHash: Digest
        do {
            rootHash = try Digest(base64: lines[2])
        } catch {
            throw AuditError(.malformedCheckpoint, "the root hash is canonical base64 of 32 bytes")
        }
        var extensions = Array(lines.dropFirst(3))
        var algorithm = HashAlgorithm.sha256
        if let first = extensions.first, first.hasPrefix(Self.hashMarkerPrefix) {
            let name = String(first.dropFirst(Self.hashMarkerPrefix.count))
            // SHA-256 is written without a marker, so each checkpoint has one encoding.
            guard let named = HashAlgorithm(rawValue: name), named != .sha256 else {
                throw AuditError(.malformedCheckpoint, "unsupported tree hash '\(name)'")
            }
            algorithm = named
            extensions.removeFirst()
        }
        try self.init(
            origin: lines[0], treeSize: treeSize, rootHash: rootHash, hashAlgorithm: algorithm,
            extensionLines: extensions)
    }
}
