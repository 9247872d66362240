import ExchangeAudit
import ExchangeWire
import Foundation

extension AuditEntryDocument {
    /// The entry bytes.
    func bytes() throws -> [UInt8] {
        guard let data = Data(base64Encoded: entry) else { throw ClientFailure("entry \(index): not base64") }
        return Array(data)
    }

    /// The stored leaf hash, when given.
    func storedLeafHash() throws -> Digest? {
        guard let leafHash else { return nil }
        do {
            return try Digest(base64: leafHash)
        } catch {
            throw ClientFailure("entry \(index): leaf_hash is not a base64 hash")
        }
    }
}

extension AuditProofDocument {
    /// The proof's hashes.
    func digests() throws -> [Digest] {
        do {
            return try proof.map { try Digest(base64: $0) }
        } catch {
            throw ClientFailure("the proof holds a value that is not a base64 hash")
        }
    }
}
