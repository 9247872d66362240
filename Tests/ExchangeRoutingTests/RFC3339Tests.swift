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
}
