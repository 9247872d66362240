/// How long a topic's events stay in the live store: a topic keeps events no older than
/// ``maxAge`` and at most its newest ``maxEvents``, whichever removes more. With neither, events
/// stay forever. Removal never touches the evidence: audit entries, the Merkle tree, receipts and
/// checkpoints stay.
public struct RetentionPolicy: Hashable, Sendable {
    /// The longest an event stays after it was received, in seconds; `nil` for no age limit.
    public var maxAge: UInt64?
    /// The most events of the topic kept; `nil` for no count limit.
    public var maxEvents: UInt64?

    /// The longest ``maxAge`` accepted: 100 years, so that nanoseconds cannot overflow.
    public static let maxAgeLimit: UInt64 = 100 * 366 * 86_400
    /// The most ``maxEvents`` accepted.
    public static let maxEventsLimit: UInt64 = 1 << 48

    /// Creates a policy; both limits `nil` keeps everything.
    public init(maxAge: UInt64? = nil, maxEvents: UInt64? = nil) {
        self.maxAge = maxAge
        self.maxEvents = maxEvents
    }

    /// Whether the policy removes anything.
    public var removesEvents: Bool { maxAge != nil || maxEvents != nil }

    /// Parses an age such as `90d`, `12h`, `30m`, `45s`, `2w` or a bare number of seconds.
    /// - Returns: the seconds, or `nil` when `text` is not such an age or is 0 or longer than
    ///   ``maxAgeLimit``.
    public static func age(_ text: String) -> UInt64? {
        let units: [(Character, UInt64)] = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400), ("w", 604_800)]
        var digits = Substring(text)
        var factor: UInt64 = 1
        if let last = text.last, let unit = units.first(where: { $0.0 == last }) {
            digits = text.dropLast()
            factor = unit.1
        }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt64(digits) else {
            return nil
        }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: factor)
        guard !overflow, seconds > 0, seconds <= maxAgeLimit else { return nil }
        return seconds
    }
}
