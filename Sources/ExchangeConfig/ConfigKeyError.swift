/// A problem with one key of a configuration file (the exchange's, a client's, the tokens or
/// departments list): which file, which key, and what is wrong with it. The departments, topics
/// and agreements files report theirs as ExchangeRouting's `ConfigurationError`, with line and code.
///
/// ```text
/// Config/exchange.yaml: server.port: must be a whole number from 0 to 65535
/// ```
public struct ConfigKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault.
    public let file: String
    /// The dotted key at fault, or `(file)` for the file as a whole.
    public let key: String
    /// What is wrong.
    public let message: String

    /// Creates an error.
    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    /// `FILE: KEY: message`.
    public var description: String { "\(file): \(key): \(message)" }
}
