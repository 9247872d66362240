public import Foundation

/// A registry collection as `topics.yaml` declares it: a latest-state view keyed by each event's
/// `subject`, fed by the topics that name it, with the data fields its indexes read.
///
/// ```yaml
/// registries:
///   - name: licences
///     holder: /holder/credit_code
///     type: /licence_type
///     valid_from: /valid_from
///     valid_until: /valid_until
///     time_zone: Asia/Shanghai
/// ```
public struct RegistryCollection: Hashable, Sendable {
    /// The collection's name, e.g. `licences`: letters, digits, `-` and `_`.
    public var name: String
    /// Where the holder's identifier (e.g. the unified social credit code) is in the data.
    public var holder: JSONPointer?
    /// Where the licence type is in the data.
    public var type: JSONPointer?
    /// Where the first day of validity is in the data (RFC 3339 date or date-time).
    public var validFrom: JSONPointer?
    /// Where the last day of validity is in the data (RFC 3339 date or date-time).
    public var validUntil: JSONPointer?
    /// The time zone of the collection's calendar: a licence valid until a day is valid to the
    /// end of that day there. Default UTC.
    public var timeZone: TimeZone

    /// Creates a collection.
    /// - Parameters:
    ///   - name: the collection's name.
    ///   - holder: pointer to the holder identifier; none by default.
    ///   - type: pointer to the licence type; none by default.
    ///   - validFrom: pointer to the start of validity; none by default.
    ///   - validUntil: pointer to the end of validity; none by default (the entry never expires).
    ///   - timeZone: the calendar's time zone; UTC by default.
    public init(
        name: String, holder: JSONPointer? = nil, type: JSONPointer? = nil, validFrom: JSONPointer? = nil, validUntil: JSONPointer? = nil,
        timeZone: TimeZone = RegistryCollection.utc
    ) {
        self.name = name
        self.holder = holder
        self.type = type
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.timeZone = timeZone
    }

    /// UTC, the default calendar.
    public static let utc = TimeZone(secondsFromGMT: 0)!

    /// The day (`YYYY-MM-DD`) `date` falls on in the collection's time zone: the day a query at
    /// `date` compares validity with.
    public func day(of date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        func padded(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.year, 4) + "-" + padded(parts.month, 2) + "-" + padded(parts.day, 2)
    }

    /// The time zone `text` names: an IANA name such as `Asia/Shanghai`, `UTC`, or an offset
    /// from UTC such as `+08:00`; nil when it names none.
    public static func timeZone(named text: String) -> TimeZone? {
        if text == "UTC" || text == "Z" { return utc }
        let bytes = Array(text.utf8)
        if bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":") {
            let digits = [bytes[1], bytes[2], bytes[4], bytes[5]]
            guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            let value = digits.map { Int($0 - UInt8(ascii: "0")) }
            let hours = value[0] * 10 + value[1]
            let minutes = value[2] * 10 + value[3]
            guard minutes < 60, hours * 60 + minutes <= 14 * 60 else { return nil }
            return TimeZone(secondsFromGMT: (hours * 3600 + minutes * 60) * (bytes[0] == UInt8(ascii: "-") ? -1 : 1))
        }
        guard text.contains("/") else { return nil }
        return TimeZone(identifier: text)
    }

    /// Whether `text` is a valid collection name: 1 to 64 letters, digits, `-` and `_`.
    public static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }
}
