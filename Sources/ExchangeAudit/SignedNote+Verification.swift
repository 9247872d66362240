extension SignedNote {
    /// Verifies the note against trusted keys, following the signed-note rules.
    ///
    /// Signatures whose name and key ID match no trusted key are ignored. A matching signature
    /// that does not verify rejects the whole note (``AuditError/Code/invalidSignature``). At least
    /// one trusted signature must verify (else ``AuditError/Code/unverifiedNote``).
    ///
    /// - Parameters:
    ///   - verifiers: The trusted keys.
    /// - Returns: The signatures that verified.
    @discardableResult
    public func verify(using verifiers: [NoteVerifier]) throws -> [NoteSignature] {
        var verified: [NoteSignature] = []
        for signature in signatures {
            guard let verifier = verifiers.first(where: { $0.matches(signature) }) else { continue }
            guard verifier.isValid(signature, for: text) else {
                throw AuditError(.invalidSignature, "the signature of \(signature.keyName) (\(KeyID.hex(signature.keyID))) does not verify")
            }
            verified.append(signature)
        }
        guard !verified.isEmpty else {
            throw AuditError(.unverifiedNote, "no signature of a trusted key is on the note")
        }
        return verified
    }
}
