/// Formatting and parsing of RFC 3339 timestamps in UTC, without Foundation.
public enum RFC3339 {
    /// Formats nanoseconds since the Unix epoch as `YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ`.
    /// - Parameter nanoseconds: the instant.
    public static func format(nanoseconds: UInt64) -> String {
        let seconds = Int64(nanoseconds / 1_000_000_000)
        let fraction = nanoseconds % 1_000_000_000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        // Written digit by digit into one buffer: this runs for every delivered and replayed event.
        return String(unsafeUninitializedCapacity: 30) { buffer in
            func put(_ value: Int64, width: Int, at offset: Int) {
                var rest = value
                for position in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[position] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            put(month, width: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            put(day, width: 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, width: 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, width: 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, width: 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            put(Int64(fraction), width: 9, at: 20)
            buffer[29] = UInt8(ascii: "Z")
            return 30
        }
    }

    /// The latest instant ``parse(_:)`` accepts: 2500-12-31T23:59:59.999999999Z. Instants are
    /// nanoseconds since the Unix epoch in a `UInt64`, which ends in 2554; the round limit leaves
    /// room for arithmetic on them.
    public static let latestNanoseconds: UInt64 = 16_756_761_599_999_999_999

    /// The accepted range, for error messages.
    public static let rangeDescription = "1970-01-01T00:00:00Z to 2500-12-31T23:59:59Z"

    /// Parses an RFC 3339 timestamp (`2026-11-27T08:30:00Z`, `...00.5+08:00`) or a plain date
    /// (`2026-11-27`, read as midnight UTC) into nanoseconds since the Unix epoch; `nil` if it
    /// is neither, or lies outside ``rangeDescription`` (before 1970 or after 2500).
    /// - Parameter text: the timestamp or date.
    public static func parse(_ text: String) -> UInt64? {
        guard let parts = components(text) else { return nil }
        // Years are four digits, so these stay far inside Int64.
        let seconds = parts.days * 86_400 + parts.seconds
        guard seconds >= 0 else { return nil }
        let (total, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, total <= latestNanoseconds - UInt64(parts.nanoseconds) else { return nil }
        return total + UInt64(parts.nanoseconds)
    }

    /// Whether `text` is a full RFC 3339 timestamp (`date-time`: a date, `T`, a time and `Z` or
    /// an offset), not a plain date nor the space-separated form, as CloudEvents' `time` must be.
    /// - Parameter text: the timestamp.
    public static func isTimestamp(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.count > 10, isValid(text) else { return false }
        let separator = bytes[bytes.index(bytes.startIndex, offsetBy: 10)]
        return separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t")
    }

    /// Whether `text` is an RFC 3339 timestamp or a plain date of any year from 0000 to 9999,
    /// without converting it to an instant: for data fields (`format: date` in a topic schema),
    /// where `9999-12-31` ("no expiry") and dates before 1970 are ordinary values.
    /// - Parameter text: the timestamp or date.
    public static func isValid(_ text: String) -> Bool {
        components(text) != nil
    }

    /// The parts of a timestamp or date: days since 1970-01-01 (negative before), seconds into
    /// that day in UTC (the offset applied, so it may be negative or pass a day), nanoseconds.
    private static func components(_ text: String) -> (days: Int64, seconds: Int64, nanoseconds: Int64)? {
        let bytes = Array(text.utf8)
        guard bytes.count <= 64 else { return nil }
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + width] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        if index == bytes.count {
            return (days, 0, 0)
        }
        guard expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2), hour < 24, minute < 60, second < 61
        else { return nil }
        var nanos: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if expect("Zz") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let secondOfDay = hour * 3600 + minute * 60 + second - offsetSeconds
        if second == 60 {
            // A leap second is 23:59:60 UTC, at the end of June or December (section 5.7).
            let utcDay = days + (secondOfDay - 1).floorDivided(by: 86_400)
            guard (secondOfDay - 1).floorModulo(86_400) == 86_399,
                [daysSinceEpoch(year: year, month: 6, day: 30), daysSinceEpoch(year: year, month: 12, day: 31),
                 daysSinceEpoch(year: year - 1, month: 12, day: 31)].contains(utcDay)
            else { return nil }
        }
        return (days, secondOfDay, nanos)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day since 1970-01-01.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// The quotient rounded toward negative infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder with the sign of a positive divisor.
    fileprivate func floorModulo(_ divisor: Int64) -> Int64 {
        let remainder = self % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }
}
