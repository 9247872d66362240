/// Why a content pattern was refused.
public struct ContentPatternError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable code of this error: `pattern.invalid`.
    public static let code = "pattern.invalid"
    /// Where in the pattern the problem is, e.g. `data.status[1]`; empty for the whole pattern.
    public let path: String
    /// What is wrong.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - path: where in the pattern the problem is.
    ///   - message: what is wrong.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The text form, for logs and messages.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
