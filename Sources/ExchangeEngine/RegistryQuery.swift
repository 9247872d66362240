import ExchangeAudit
public import ExchangeModel
import ExchangeStore
import Foundation

/// A registry search: filters, page size and position, parsed from query parameters.
///
/// Parameters: `holder`, `type`, `issuer` (exact values), `status` (`valid`, `suspended`,
/// `revoked`, `expired`, `not_issued`), `expires_before` (a day, `YYYY-MM-DD`: last day of
/// validity strictly before it), `limit` (1 to 1,000, default 100), `cursor` (from the previous
/// page). Any other parameter, or one given twice, is refused.
public struct RegistryQuery: Hashable, Sendable {
    /// The holder identifier to match.
    public var holder: String?
    /// The licence type to match.
    public var type: String?
    /// The issuing department to match.
    public var issuer: String?
    /// The status (on the day of the query) to match.
    public var status: RegistryStatus?
    /// Only entries whose last day of validity is before this day.
    public var expiresBefore: String?
    /// The most entries per page.
    public var limit: Int
    /// The opaque position to continue after.
    public var cursor: String?

    /// The largest page.
    public static let maximumLimit = 1000
    /// The page size when `limit` is not given.
    public static let defaultLimit = 100

    /// Creates a query.
    public init(
        holder: String? = nil, type: String? = nil, issuer: String? = nil, status: RegistryStatus? = nil, expiresBefore: String? = nil,
        limit: Int = RegistryQuery.defaultLimit, cursor: String? = nil
    ) {
        self.holder = holder
        self.type = type
        self.issuer = issuer
        self.status = status
        self.expiresBefore = expiresBefore
        self.limit = limit
        self.cursor = cursor
    }

    /// Parses query parameters.
    /// - Throws: `ExchangeError` with code `registry.bad_query` naming the parameter.
    public init(parameters: [(name: String, value: String)]) throws(ExchangeError) {
        self.init()
        var seen: Set<String> = []
        for (name, value) in parameters {
            guard seen.insert(name).inserted else { throw Self.bad("parameter '\(name)' is given twice") }
            switch name {
            case "holder": holder = try Self.nonEmpty(name, value)
            case "type": type = try Self.nonEmpty(name, value)
            case "issuer": issuer = try Self.nonEmpty(name, value)
            case "status":
                guard let status = RegistryStatus(rawValue: value) else {
                    throw Self.bad("status must be one of \(RegistryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                self.status = status
            case "expires_before":
                guard value.utf8.count == 10, let day = RegistryInput.day(value), Self.isCalendarDay(day) else {
                    throw Self.bad("expires_before must be a day of the calendar, YYYY-MM-DD")
                }
                expiresBefore = day
            case "limit":
                guard InputBounds.isDigits(value), let limit = Int(value), (1...Self.maximumLimit).contains(limit) else {
                    throw Self.bad("limit must be a whole number from 1 to \(Self.maximumLimit)")
                }
                self.limit = limit
            case "cursor": cursor = value
            default:
                throw Self.bad("unknown parameter '\(name)'; known: holder, type, issuer, status, expires_before, limit, cursor")
            }
        }
    }

    /// Whether `day` (`YYYY-MM-DD`, digits checked) names a day of the Gregorian calendar:
    /// month 01-12, day 01 to the month's last (2026-02-30 is not one).
    static func isCalendarDay(_ day: String) -> Bool {
        let parts = day.split(separator: "-")
        guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let date = Int(parts[2]) else { return false }
        let last =
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            case 1, 3, 5, 7, 8, 10, 12: 31
            default: 0
            }
        return last > 0 && (1...last).contains(date)
    }

    /// The filters as audit particulars (the cursor and limit are left out).
    var auditValue: AuditValue {
        var fields: [String: AuditValue] = [:]
        if let holder { fields["holder"] = .string(AuditEvent.bounded(holder)) }
        if let type { fields["type"] = .string(AuditEvent.bounded(type)) }
        if let issuer { fields["issuer"] = .string(AuditEvent.bounded(issuer)) }
        if let status { fields["status"] = .string(status.rawValue) }
        if let expiresBefore { fields["expires_before"] = .string(AuditEvent.bounded(expiresBefore)) }
        return .object(fields)
    }

    /// The index walked: the most selective filter given (holder, type, issuer, expiry,
    /// status), or all entries by key.
    func scan(collection: String) -> RegistryScan {
        if let holder { return RegistryScan(collection: collection, index: .holder, value: holder) }
        if let type { return RegistryScan(collection: collection, index: .type, value: type) }
        if let issuer { return RegistryScan(collection: collection, index: .issuer, value: issuer) }
        if let expiresBefore { return RegistryScan(collection: collection, index: .expiry, below: expiresBefore) }
        if let status {
            let stored: RegistryStatus = status == .expired ? .valid : status
            return RegistryScan(collection: collection, index: .status, value: stored.rawValue)
        }
        return RegistryScan(collection: collection)
    }

    /// A cursor: format 1, the index walked (0: by key), the position, sealed with `sealer` so
    /// that the caller can neither read the position (an index key of an entry it may not see)
    /// nor forge one; base64url without padding.
    static func encodeCursor(_ position: [UInt8], index: RegistryIndex?, sealer: TokenSealer) throws(ExchangeError) -> String {
        let sealed: [UInt8]
        do {
            sealed = try sealer.seal([1, index?.rawValue ?? 0] + position)
        } catch {
            throw ExchangeError(.internalFailure, "the next page's cursor could not be sealed: \(error)")
        }
        return Data(sealed).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The position of a cursor made for a walk of `index` by this process.
    static func decodeCursor(_ text: String, index: RegistryIndex?, sealer: TokenSealer) throws(ExchangeError) -> [UInt8] {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let plain = sealer.open(Array(data)), plain.count > 2, plain[0] == 1,
            plain[1] == index?.rawValue ?? 0
        else {
            throw ExchangeError(.badRegistryCursor, "the cursor is not one this query returned (cursors are valid until the exchange restarts)")
        }
        return Array(plain.dropFirst(2))
    }

    private static func nonEmpty(_ name: String, _ value: String) throws(ExchangeError) -> String {
        guard !value.isEmpty else { throw bad("\(name) must not be empty") }
        return value
    }

    private static func bad(_ message: String) -> ExchangeError {
        ExchangeError(.badRegistryQuery, message)
    }
}
