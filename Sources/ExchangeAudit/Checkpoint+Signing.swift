extension Checkpoint {
    /// Signs the checkpoint as a signed note.
    ///
    /// - Parameters:
    ///   - signers: One or more signers; the log's own key name should equal ``origin``.
    public func signed(by signers: [NoteSigner]) throws -> SignedNote {
        let text = self.text
        return try SignedNote(text: text, signatures: signers.map { try $0.signature(for: text) })
    }

    /// Verifies a signed checkpoint note with trusted keys and parses it.
    ///
    /// - Parameters:
    ///   - note: The signed note in wire form.
    ///   - verifiers: The trusted keys; at least one must have signed (see ``SignedNote/verify(using:)``).
    ///   - origin: The expected origin, or `nil` to accept any.
    public init(verifying note: String, using verifiers: [NoteVerifier], origin: String? = nil) throws {
        let signed = try SignedNote(parsing: note)
        try signed.verify(using: verifiers)
        try self.init(text: signed.text)
        if let origin, origin != self.origin {
            throw AuditError(.malformedCheckpoint, "the checkpoint is for origin '\(self.origin)', not '\(origin)'")
        }
    }
}
