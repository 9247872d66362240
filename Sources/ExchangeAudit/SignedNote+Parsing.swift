import Foundation

extension SignedNote {
    /// Parses a signed note in its wire form.
    ///
    /// The text ends at the last blank line; every line after it must be a signature line
    /// `— <key name> <base64>` whose base64 decodes to a 4-byte key ID and a signature.
    ///
    /// - Parameters:
    ///   - note: The whole note, ending in a newline.
    public init(parsing note: String) throws {
        let bytes = Array(note.utf8)
        guard bytes.count <= Self.maximumSize else {
            throw AuditError(.malformedNote, "the note is larger than \(Self.maximumSize) bytes")
        }
        guard bytes.last == 0x0a else {
            throw AuditError(.malformedNote, "a signed note ends in a newline")
        }
        // The separating blank line is the last "\n\n"; the text keeps the first newline.
        var separator: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0a && bytes[index + 1] == 0x0a {
                separator = index
                break
            }
            index -= 1
        }
        guard let separator else {
            throw AuditError(.malformedNote, "a signed note has a blank line before its signatures")
        }
        let text = String(decoding: bytes[...separator], as: UTF8.self)
        let block = bytes[(separator + 2)...]
        guard !block.isEmpty else {
            throw AuditError(.malformedNote, "a signed note has at least one signature")
        }
        var signatures: [NoteSignature] = []
        for line in block.dropLast().split(separator: 0x0a, omittingEmptySubsequences: false) {
            guard signatures.count < Self.maximumSignatures else {
                throw AuditError(.malformedNote, "a note has at most \(Self.maximumSignatures) signatures")
            }
            signatures.append(try Self.parseSignatureLine(String(decoding: line, as: UTF8.self)))
        }
        try self.init(text: text, signatures: signatures)
    }

    private static func parseSignatureLine(_ line: String) throws -> NoteSignature {
        let prefix = "\u{2014} "
        guard line.hasPrefix(prefix) else {
            throw AuditError(.malformedNote, "a signature line starts with an em dash and a space")
        }
        let fields = line.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2 else {
            throw AuditError(.malformedNote, "a signature line is '— <key name> <signature>'")
        }
        let encoded = String(fields[1])
        guard let decoded = Data(base64Encoded: encoded), decoded.base64EncodedString() == encoded, decoded.count > 4
        else {
            throw AuditError(.malformedNote, "a note signature is canonical base64 of a key ID and a signature")
        }
        let raw = Array(decoded)
        let keyID = raw.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        do {
            return try NoteSignature(keyName: String(fields[0]), keyID: keyID, signature: Array(raw.dropFirst(4)))
        } catch let error as AuditError {
            throw AuditError(.malformedNote, "bad signature line: \(error.message)")
        }
    }
}
