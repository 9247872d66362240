/// Why a text is not a JSON Pointer.
public struct JSONPointerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable code of this error: `json-pointer.malformed`.
    public static let code = "json-pointer.malformed"
    /// The text that was refused.
    public let pointer: String
    /// What is wrong.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - pointer: the refused text.
    ///   - message: what is wrong.
    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    /// The text form, for logs and messages.
    public var description: String { "malformed JSON Pointer '\(pointer)': \(message)" }
}
