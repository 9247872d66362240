import ExchangeAudit

/// `SignedNote(parsing:)`: a note that parses serializes to the same text and parses again to the
/// same note.
enum SignedNoteTarget {
    static func run(_ input: FuzzInput) {
        guard let note = try? SignedNote(parsing: input.text) else { return }
        let written = note.serialized
        let reread: SignedNote
        do {
            reread = try SignedNote(parsing: written)
        } catch {
            fatalError("a serialized note does not parse (\(error)): \(written.debugDescription)")
        }
        require(reread == note, "a serialized note parses to another note: \(written.debugDescription)")
    }
}
