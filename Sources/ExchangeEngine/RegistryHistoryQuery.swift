public import ExchangeModel

/// What a registry look-up answers of the entry's history, parsed from query parameters.
///
/// Parameters: `history` (`true` or `false`, default `false`), `history_limit` (1 to 1,000,
/// default 100: the most items in one answer), `history_cursor` (the `history_next_cursor` of
/// the previous answer, which is the sequence of the last item it listed: 1 to 2^53 − 1; the
/// answer continues with the items after it). The last two need `history=true`. Any other
/// parameter, or one given twice, is refused.
public struct RegistryHistoryQuery: Hashable, Sendable {
    /// Whether the answer includes history items.
    public var included: Bool
    /// The most items in one answer.
    public var limit: Int
    /// Only items of events after this sequence (0: from the first).
    public var after: UInt64

    /// The largest `history_limit`.
    public static let maximumLimit = 1000
    /// The number of items when `history_limit` is not given.
    public static let defaultLimit = 100

    /// Creates a query.
    /// - Parameters:
    ///   - included: whether to include history items.
    ///   - limit: the most items, 1 to ``maximumLimit`` (clamped).
    ///   - after: the sequence to continue after (0: from the first item).
    public init(included: Bool = false, limit: Int = RegistryHistoryQuery.defaultLimit, after: UInt64 = 0) {
        self.included = included
        self.limit = min(max(1, limit), Self.maximumLimit)
        self.after = after
    }

    /// Parses a look-up's query parameters.
    /// - Throws: `ExchangeError` with code `registry.bad_query` naming the parameter.
    public init(parameters: [(name: String, value: String)]) throws(ExchangeError) {
        self.init()
        var seen: Set<String> = []
        var paging: String?
        for (name, value) in parameters {
            guard seen.insert(name).inserted else { throw Self.bad("parameter '\(name)' is given twice") }
            switch name {
            case "history":
                guard value == "true" || value == "false" else { throw Self.bad("history must be true or false") }
                included = value == "true"
            case "history_limit":
                guard value.utf8.count <= 4, InputBounds.isDigits(value), let limit = Int(value),
                    (1...Self.maximumLimit).contains(limit)
                else {
                    throw Self.bad("history_limit must be a whole number from 1 to \(Self.maximumLimit)")
                }
                self.limit = limit
                paging = name
            case "history_cursor":
                guard value.utf8.count <= 16, InputBounds.isDigits(value), let after = UInt64(value),
                    InputBounds.isSequence(after)
                else {
                    throw Self.bad(
                        "history_cursor must be the history_next_cursor of a previous answer (a sequence from 1 to \(InputBounds.sequence.upperBound))")
                }
                self.after = after
                paging = name
            default:
                throw Self.bad("unknown parameter '\(name)'; known: history=true|false, history_limit, history_cursor")
            }
        }
        if let paging, !included { throw Self.bad("\(paging) needs history=true") }
    }

    private static func bad(_ message: String) -> ExchangeError {
        ExchangeError(.badRegistryQuery, message)
    }
}
