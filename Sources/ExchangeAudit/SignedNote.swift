/// A C2SP signed note: a text ending in a newline, a blank line, and one or more signature lines.
///
/// ```swift
/// let note = try SignedNote(parsing: received)
/// let trusted = try note.verify(using: [verifier])   // the signatures of known keys
/// ```
public struct SignedNote: Sendable, Hashable {
    /// The largest note accepted, in bytes.
    public static let maximumSize = 1 << 20
    /// The most signature lines accepted (the format requires at least 16).
    public static let maximumSignatures = 100

    /// The signed text, including its final newline.
    public let text: String
    /// The signatures, in order.
    public let signatures: [NoteSignature]

    /// Creates a note from its text and signatures.
    ///
    /// - Parameters:
    ///   - text: The text: valid UTF-8 ending in a newline, no control characters but newline.
    ///   - signatures: One or more signatures.
    public init(text: String, signatures: [NoteSignature]) throws {
        try Self.validateText(text)
        guard !signatures.isEmpty else {
            throw AuditError(.malformedNote, "a signed note has at least one signature")
        }
        guard signatures.count <= Self.maximumSignatures else {
            throw AuditError(.malformedNote, "a note has at most \(Self.maximumSignatures) signatures")
        }
        self.text = text
        self.signatures = signatures
    }

    /// The note in its wire form: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    /// Checks the text rules of the format.
    ///
    /// - Parameters:
    ///   - text: The note text.
    static func validateText(_ text: String) throws {
        guard text.utf8.last == 0x0a else {
            throw AuditError(.malformedNote, "a note text ends in a newline")
        }
        guard text.utf8.count <= maximumSize else {
            throw AuditError(.malformedNote, "the note is larger than \(maximumSize) bytes")
        }
        guard !text.utf8.contains(where: { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }) else {
            throw AuditError(.malformedNote, "a note contains no control characters but newline")
        }
    }
}
