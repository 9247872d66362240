/// A JSON number that keeps the text it was written with.
///
/// Equality and hashing compare the text, so that a number round-trips byte for byte
/// (`1.50` stays `1.50`); comparisons by value use ``doubleValue``.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number as written in the document, e.g. `"1.50"` or `"-3e2"`.
    public let text: String
    /// The number's value as a `Double`.
    public let doubleValue: Double

    /// Creates a number from JSON number text.
    /// - Parameter text: text in the JSON number grammar (RFC 8259 section 6).
    /// - Returns: `nil` when `text` is not a JSON number.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let valid = bytes.withUnsafeBufferPointer { buffer in
            JSONParser.numberLength(buffer, at: 0) == buffer.count
        }
        guard valid, !bytes.isEmpty, let value = Double(text) else { return nil }
        self.text = text
        self.doubleValue = value
    }

    /// Creates a number from an integer.
    /// - Parameter value: the integer.
    public init(_ value: Int) {
        self.text = String(value)
        self.doubleValue = Double(value)
    }

    /// Creates a number from a `Double`; non-finite values are written as `0`.
    /// - Parameter value: the value.
    public init(_ value: Double) {
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                self.text = String(Int64(value))
            } else {
                self.text = "\(value)"
            }
            self.doubleValue = value
        } else {
            self.text = "0"
            self.doubleValue = 0
        }
    }

    init(validatedText text: String, value: Double) {
        self.text = text
        self.doubleValue = value
    }

    /// The text form, for logs and messages.
    public var description: String { text }
}
