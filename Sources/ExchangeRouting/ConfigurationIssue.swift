/// A problem found while checking values, before it is placed in a file.
///
/// Validation works on values and names the offending key path; the loader turns an issue into a
/// ``ConfigurationError`` carrying the file and line of that key.
public struct ConfigurationIssue: Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public let code: ConfigurationError.Code
    /// The key path of the offending value, e.g. `topics[1]`.
    public let key: String
    /// What is wrong.
    public let message: String

    /// Creates an issue.
    /// - Parameters:
    ///   - code: the kind of problem.
    ///   - key: the key path.
    ///   - message: what is wrong.
    public init(_ code: ConfigurationError.Code, key: String, message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    /// The issue as an error without a file.
    public var error: ConfigurationError {
        ConfigurationError(code, key: key, message: message)
    }

    /// The text form, for logs and messages.
    public var description: String { error.description }
}
