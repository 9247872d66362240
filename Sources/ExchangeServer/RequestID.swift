public import Logging

/// The id of the request being served, kept as a task-local value so that every log line
/// written while serving it carries it (``metadataProvider``), whichever logger writes it.
///
/// An incoming `X-Request-Id` is kept when it is 1 to ``maximumBytes`` bytes of ASCII letters,
/// digits, `-`, `_`, `.` and `:`; otherwise the exchange makes one (32 hexadecimal digits).
/// ``RequestIDMiddleware`` sets it and echoes it in the response's `X-Request-Id`.
public enum RequestID {
    /// The request id of the request the current task serves, or `nil` outside a request.
    @TaskLocal public static var current: String?

    /// The longest incoming id kept, bytes.
    public static let maximumBytes = 128

    /// The metadata key the id is logged under.
    public static let metadataKey = "request_id"

    /// Adds `request_id` to every log line written inside a request.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = current else { return [:] }
        return [metadataKey: .string(id)]
    }

    /// `incoming` when it is an acceptable id, else a new one.
    public static func accepting(_ incoming: String?) -> String {
        if let incoming, isAcceptable(incoming) { return incoming }
        return generate()
    }

    /// Whether `id` is 1 to ``maximumBytes`` bytes of `A-Z a-z 0-9 - _ . :`.
    public static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maximumBytes else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }

    /// A new id: 128 random bits as 32 lowercase hexadecimal digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                bytes.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
