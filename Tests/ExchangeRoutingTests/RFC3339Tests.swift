import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("2026-01-01", 1_767_225_600.0),
        ("2026-01-01T00:00:00Z", 1_767_225_600),
        ("2026-01-01T08:00:00+08:00", 1_767_225_600),
        ("2025-12-31T19:00:00-05:00", 1_767_225_600),
        ("2026-01-01t00:00:00.25z", 1_767_225_600.25),
        ("2026-01-01 00:00:01Z", 1_767_225_601),
        ("2024-02-29T12:00:00Z", 1_709_208_000),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func parsesTimestampsAndDates(_ text: String, _ seconds: Double) {
        #expect(RFC3339.date(text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: [
        "", "2026-1-01", "2026-13-01", "2026-02-29", "2026-04-31", "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:00", "2026-01-01T00:00:00+0800", "2026-01-01T00:00:00.Z", "2026-01-01Z", "tomorrow",
    ])
    func refusesOtherText(_ text: String) {
        #expect(RFC3339.date(text) == nil)
    }

    /// Instants are nanoseconds in a UInt64: years past the range are refused, never trapped on.
    @Test(arguments: [
        "2555-01-01T00:00:00Z", "3026-09-14T09:00:00+08:00", "9999-12-31T23:59:59Z", "9999-12-31", "2501-01-01",
        "2500-12-31T23:59:59.999999999-00:01", "1969-12-31T23:59:59Z",
    ])
    func refusesInstantsOutsideTheRange(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
        #expect(RFC3339.isValid(text))
    }

    @Test func acceptsTheEndsOfTheRange() {
        #expect(RFC3339.parse("2500-12-31T23:59:59.999999999Z") == RFC3339.latestNanoseconds)
        #expect(RFC3339.parse("2501-01-01T07:59:59.999999999+08:00") == RFC3339.latestNanoseconds)
        #expect(RFC3339.parse("1970-01-01T08:00:00+08:00") == 0)
        #expect(RFC3339.format(nanoseconds: RFC3339.latestNanoseconds) == "2500-12-31T23:59:59.999999999Z")
    }

    @Test(arguments: ["2026-02-30", "0000-00-00", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00." + String(repeating: "9", count: 80) + "Z"])
    func isValidRefusesWhatParseRefuses(_ text: String) {
        #expect(!RFC3339.isValid(text))
        #expect(RFC3339.parse(text) == nil)
    }
}
