/// An error from the exchange store, with a stable code for logs, metrics and API answers.
///
/// Codes are never renamed; new ones may be added.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable kinds of store error.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable text of the code, e.g. `store.full`.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The store reached its configured maximum size; nothing of the operation was written.
        public static let storeFull = Code("store.full")
        /// The data directory holds a store of a format version this build does not read.
        public static let unsupportedFormat = Code("store.unsupported_format")
        /// The data directory could not be opened or created, or the configuration cannot be
        /// used (a deduplication horizon under a second).
        public static let openFailed = Code("store.open_failed")
        /// A stored record could not be decoded.
        public static let corruptRecord = Code("store.corrupt_record")
        /// The store was closed; no further writes are taken.
        public static let closed = Code("store.closed")
        /// A request named something that does not exist, such as an unknown subscription.
        public static let notFound = Code("store.not_found")
        /// A request conflicts with what is stored, such as creating an existing subscription.
        public static let conflict = Code("store.conflict")
        /// A request was malformed, such as an empty batch or a field over its limit.
        public static let invalidRequest = Code("store.invalid_request")
        /// LMDB reported an error.
        public static let storage = Code("store.storage")
        /// The store is behind what it once held (restored from a backup, or rolled back by
        /// hand): it is not served until the operator acknowledges it, which opens a new epoch
        /// of the log (docs/operations.md, "Backup and restore").
        public static let rolledBack = Code("store.rolled_back")
        /// The watermark file (`store.watermark`) could not be read or written; nothing that
        /// would need it is committed.
        public static let watermarkFailed = Code("store.watermark_failed")

        public var description: String { rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// A sentence for the operator.
    public let message: String
    /// The underlying error, if any (usually an `LMDBError`).
    public let underlying: String?

    /// Creates an error.
    public init(code: Code, message: String, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { return "\(code): \(message) (\(underlying))" }
        return "\(code): \(message)"
    }

    static func corruptRecord(_ message: String) -> StoreError {
        StoreError(code: .corruptRecord, message: message)
    }

    static func storage(_ error: any Error, _ message: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        return StoreError(code: .storage, message: message, underlying: String(describing: error))
    }
}
