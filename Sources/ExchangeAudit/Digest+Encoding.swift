import Foundation

extension Digest: CustomStringConvertible {
    /// The digest as 64 lowercase hexadecimal characters.
    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * Digest.byteCount)
        withUnsafeBytes { raw in
            for byte in raw {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The digest in standard base64 (RFC 4648 §4), as written in checkpoints.
    public var base64: String {
        Data(bytes).base64EncodedString()
    }

    /// The hexadecimal form, for logs and test failures.
    public var description: String { hex }

    /// Decodes a digest from 64 hexadecimal characters (either case).
    ///
    /// - Parameters:
    ///   - hex: The hexadecimal text.
    public init(hex: String) throws {
        let characters = Array(hex.utf8)
        guard characters.count == 2 * Digest.byteCount else {
            throw AuditError(.invalidHash, "a hex digest has \(2 * Digest.byteCount) characters, got \(characters.count)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Digest.byteCount)
        var index = 0
        while index < characters.count {
            guard let high = Self.nibble(characters[index]), let low = Self.nibble(characters[index + 1]) else {
                throw AuditError(.invalidHash, "a hex digest contains a character that is not hexadecimal")
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        try self.init(bytes: bytes)
    }

    /// Decodes a digest from canonical standard base64 of exactly 32 bytes.
    ///
    /// - Parameters:
    ///   - base64: The base64 text, with padding.
    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64), data.base64EncodedString() == base64 else {
            throw AuditError(.invalidHash, "a digest is not canonical base64")
        }
        try self.init(bytes: data)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
