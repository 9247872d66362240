import ExchangeAudit
import Foundation

/// The verifier keys an auditor pins (`--verifier-key`, repeatable): C2SP verifier keys
/// (`NAME+KEYID+BASE64`), each given as text or as a file holding one key a line (blank lines and
/// lines starting with `#` are skipped).
///
/// A checkpoint verifies when at least one of its signature lines names a pinned key (same name
/// and key ID) and verifies with it, and its origin is that key's name. A line that names a
/// pinned key but does not verify fails the checkpoint whatever the others say. Lines of keys
/// not pinned here are not checked; ``VerifiedCheckpoint/unpinned`` names them, so that a
/// verifier learns that a new key has started signing.
struct PinnedKeys {
    /// The most keys one run pins.
    static let maximumKeys = 32

    let verifiers: [NoteVerifier]

    /// Reads the keys of `--verifier-key` values.
    /// - Throws: ``ClientFailure`` (exit status 64) when none is given, one is not a verifier
    ///   key, or more than ``maximumKeys`` are given.
    init(_ values: [String]) throws {
        var verifiers: [NoteVerifier] = []
        for value in values {
            var lines = [value]
            if FileManager.default.fileExists(atPath: value) {
                guard let contents = FileManager.default.contents(atPath: value) else {
                    throw ClientFailure(code: "file.unreadable", detail: "\(value): cannot read")
                }
                lines = String(decoding: contents, as: UTF8.self).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                guard !lines.isEmpty else {
                    throw ClientFailure(code: "usage.invalid_key", detail: "--verifier-key \(value): the file holds no key", exitCode: 64)
                }
            }
            for line in lines {
                do {
                    let verifier = try NoteVerifier(verifierKey: line)
                    if !verifiers.contains(where: { $0.name == verifier.name && $0.keyID == verifier.keyID }) {
                        verifiers.append(verifier)
                    }
                } catch {
                    throw ClientFailure(code: "usage.invalid_key", detail: "--verifier-key: not a verifier key (NAME+KEYID+BASE64): \(error)", exitCode: 64)
                }
            }
        }
        guard !verifiers.isEmpty else {
            throw ClientFailure(code: "usage.missing_key", detail: "--verifier-key is required: the log's pinned key(s), from its operators", exitCode: 64)
        }
        guard verifiers.count <= Self.maximumKeys else {
            throw ClientFailure(code: "usage.invalid_key", detail: "--verifier-key: at most \(Self.maximumKeys) keys", exitCode: 64)
        }
        self.verifiers = verifiers
    }

    /// A checkpoint that verified, and the signature lines of keys not pinned here.
    struct VerifiedCheckpoint {
        let checkpoint: Checkpoint
        /// Signature lines that name no pinned key, as `NAME (KEYID)`.
        let unpinned: [String]
    }

    /// Verifies a signed checkpoint note with the pinned keys.
    /// - Parameters:
    ///   - note: the signed note.
    ///   - what: how errors name the checkpoint, e.g. `the checkpoint of size 12`.
    /// - Throws: ``ClientFailure`` `audit.unpinned_key` when no signature line names a pinned
    ///   key, `audit.bad_signature` when one that does fails or the note is malformed.
    func verify(_ note: String, what: String) throws -> VerifiedCheckpoint {
        let signed: SignedNote
        do {
            signed = try SignedNote(parsing: note)
        } catch {
            throw ClientFailure(code: "audit.bad_signature", detail: "\(what) does not verify with the pinned key: \(error)")
        }
        let unpinned = signed.signatures.filter { signature in !verifiers.contains { $0.matches(signature) } }.map(Self.describe)
        let verified: [NoteSignature]
        do {
            verified = try signed.verify(using: verifiers)
        } catch let error as AuditError where error.code == .unverifiedNote {
            throw ClientFailure(
                code: "audit.unpinned_key",
                detail: "\(what) does not verify with the pinned key(s) \(verifiers.map { Self.describe(name: $0.name, keyID: $0.keyID) }.joined(separator: ", ")): "
                    + "it is signed only by key(s) not pinned here: \(unpinned.joined(separator: ", ")). "
                    + "If the exchange rotated its key, get the new verifier key from its operators and pin it too")
        } catch {
            throw ClientFailure(code: "audit.bad_signature", detail: "\(what) does not verify with the pinned key: \(error)")
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(text: signed.text)
        } catch {
            throw ClientFailure(code: "audit.bad_signature", detail: "\(what) does not verify with the pinned key: \(error)")
        }
        guard verified.contains(where: { $0.keyName == checkpoint.origin }) else {
            throw ClientFailure(
                code: "audit.bad_signature",
                detail: "\(what) does not verify with the pinned key: it is for origin '\(checkpoint.origin)', not '\(verified[0].keyName)'")
        }
        return VerifiedCheckpoint(checkpoint: checkpoint, unpinned: unpinned)
    }

    static func describe(_ signature: NoteSignature) -> String {
        describe(name: signature.keyName, keyID: signature.keyID)
    }

    static func describe(name: String, keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return "\(name) (\(String(repeating: "0", count: 8 - digits.count) + digits))"
    }
}
