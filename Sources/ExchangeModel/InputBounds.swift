/// The ranges of numbers and the byte limits of values that the exchange accepts from outside.
///
/// Every number a client sends is checked against its range where the request is read, and the
/// engine checks again, so that arithmetic on it cannot overflow. Every value that becomes part
/// of an LMDB key is checked against its byte limit before it reaches the store's writer: LMDB
/// refuses keys over 511 bytes (`mdb_env_get_maxkeysize` of the build), and a key it refuses
/// must never reach a shared write transaction. docs/security.md lists these bounds.
public enum InputBounds {
    // MARK: Numbers

    /// Event sequences a client may name (a subscription's start, a replay's `from_seq`, acks):
    /// 1 to 2^53 − 1, the integers that JSON carries exactly.
    public static let sequence: ClosedRange<UInt64> = 1...9_007_199_254_740_991

    /// The longest duration in milliseconds a client may set: an ack wait, a redelivery backoff
    /// step, a nak delay (7 days).
    public static let maxDurationMilliseconds: UInt64 = 604_800_000

    /// At most this many redelivery backoff steps per subscription.
    public static let maxBackoffSteps = 32

    /// The range of a subscription's `max_deliver`.
    public static let maxDeliver: ClosedRange<UInt32> = 1...10_000

    /// The range of a subscription's `max_in_flight`.
    public static let maxInFlight: ClosedRange<UInt32> = 1...100_000

    /// The range of one `{"credit": n}` grant on a subscription stream; the stream's credit in
    /// all is capped at the upper bound.
    public static let credit: ClosedRange<Int> = 1...1_000_000

    /// At most this many sequences in one ack, nak, term or redrive request.
    public static let maxSequencesPerRequest = 10_000

    // MARK: Values that become LMDB keys

    /// The longest key LMDB stores.
    public static let maxKeyBytes = 511

    /// The longest CloudEvents `id` in UTF-8 bytes. The deduplication key is the publisher's
    /// 4-byte number and the id.
    public static let maxMessageIDBytes = 256

    /// The longest CloudEvents `subject` in UTF-8 bytes. A registry entry's key is the 4-byte
    /// collection number and the subject; an index key adds an indexed value (escaped, so up to
    /// twice ``maxIndexedValueBytes``) and three bytes: 4 + 1 + 256 + 1 + 200 = 462.
    public static let maxSubjectBytes = 200

    /// The longest value of an indexed registry field (holder, type) in UTF-8 bytes.
    public static let maxIndexedValueBytes = 128

    /// The longest CloudEvents `type` in UTF-8 bytes (it names the registry action and is kept
    /// in every audit entry).
    public static let maxTypeBytes = 256

    /// Whether `value` is a sequence a client may name.
    public static func isSequence(_ value: UInt64) -> Bool { sequence.contains(value) }

    /// Whether `text` is one or more ASCII digits and nothing else: how a number from outside
    /// (a query parameter, a path segment) is written. Swift's `Int(_:)` and `UInt64(_:)` also
    /// read a sign (`+5`), so they are asked only after this.
    public static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
