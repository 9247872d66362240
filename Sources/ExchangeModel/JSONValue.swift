/// A JSON value, as the exchange reads event data, content patterns and schemas.
///
/// Objects keep their members in document order, and numbers keep the text they were written
/// with, so that parsing and serializing a document gives back the same values in the same order
/// (``JSONValue/serialized()``). Use ``JSONValue/parse(_:)`` to read one from bytes.
///
/// ```swift
/// let value = try JSONValue.parse(Array(#"{"holder":"Acme Ltd","staff":12}"#.utf8))
/// value["holder"]    // .string("Acme Ltd")
/// ```
public enum JSONValue: Hashable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, with the text it was written with.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, its members in document order.
    case object(JSONObject)
}

extension JSONValue {
    /// The member named `key` when this value is an object, else `nil`.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// The string when this value is a string, else `nil`.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The number as a `Double` when this value is a number, else `nil`.
    public var doubleValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }

    /// A short name of the value's kind, for messages: `null`, `boolean`, `number`, `string`,
    /// `array` or `object`.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text.
    public var description: String {
        String(decoding: serialized(), as: UTF8.self)
    }
}
