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

/// The pinned key of `--verifier-key`: a C2SP verifier key, given as text or as a file holding it.
func pinnedVerifier(_ text: String) throws -> NoteVerifier {
    var key = text
    if FileManager.default.fileExists(atPath: text), let contents = FileManager.default.contents(atPath: text) {
        key = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    do {
        return try NoteVerifier(verifierKey: key)
    } catch {
        throw ClientFailure("--verifier-key: not a verifier key (NAME+KEYID+BASE64): \(error)")
    }
}

/// Verifies a signed checkpoint note with the pinned key.
func verifiedCheckpoint(_ note: String, _ verifier: NoteVerifier, what: String) throws -> Checkpoint {
    do {
        return try Checkpoint(verifying: note, using: [verifier], origin: verifier.name)
    } catch {
        throw ClientFailure("\(what) does not verify with the pinned key: \(error)")
    }
}
