extension AuditEvent {
    /// The canonical encoding of the entry: compact JSON whose object keys are sorted by their
    /// UTF-8 bytes, with the reserved members `kind`, `actor` and `time` (RFC 3339, UTC, with
    /// nanoseconds) beside the fields.
    ///
    /// Strings escape only `"`, `\` and control characters below U+0020 (as `\u00xx`); integers
    /// are decimal. Equal events at equal times always encode to equal bytes.
    /// - Parameter time: nanoseconds since the Unix epoch.
    public func canonicalBytes(time: UInt64) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        prepared().write(adding: [.init(name: "time", value: .string(RFC3339.format(nanoseconds: time)))], into: &output)
        return output
    }
}

extension AuditValue {
    /// Appends the canonical JSON text of this value to `output`.
    /// Appends `text` as a canonical JSON string, exactly as `.string(text)` writes it: for
    /// encoders that assemble entries from precomputed parts.
    public static func writeCanonicalString(_ text: String, into output: inout [UInt8]) {
        writeString(text, into: &output)
    }

    public func writeCanonical(into output: inout [UInt8]) {
        switch self {
        case .string(let text):
            Self.writeString(text, into: &output)
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .list(let items):
            output.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                item.writeCanonical(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (position, key) in keys.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &output)
                output.append(UInt8(ascii: ":"))
                members[key]!.writeCanonical(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most names and ids need no escape: copy them whole.
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            output.append(contentsOf: utf8)
            return true
        }
        if copied == true {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case 0..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0xF)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
