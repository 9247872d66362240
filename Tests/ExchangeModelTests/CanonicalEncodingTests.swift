import ExchangeModel
import Foundation
import Testing

@Suite struct CanonicalEncodingTests {
    @Test func membersAreSortedByUTF8BytesAndCompact() {
        let event = AuditEvent(
            kind: .rejected, actor: "tax-bureau",
            fields: ["zeta": 1, "Alpha": "x", "é": .bool(true), "list": .list([2, "b"]), "obj": .object(["b": 1, "a": 2])])
        let text = String(decoding: event.canonicalBytes(time: 1_764_230_400_123_456_789), as: UTF8.self)
        #expect(
            text
                == #"{"Alpha":"x","actor":"tax-bureau","kind":"rejected","list":[2,"b"],"obj":{"a":2,"b":1},"time":"2025-11-27T08:00:00.123456789Z","zeta":1,"é":true}"#
        )
    }

    @Test func stringsEscapeQuotesBackslashesAndControlCharactersOnly() {
        var output: [UInt8] = []
        AuditValue.string("a\"b\\c\n\u{1F}é/").writeCanonical(into: &output)
        #expect(String(decoding: output, as: UTF8.self) == #""a\"b\\c\u000a\u001fé/""#)
    }

    @Test func equalEventsEncodeEqually() {
        let first = AuditEvent(kind: .queried, actor: "portal", fields: ["b": 1, "a": 2])
        let second = AuditEvent(kind: .queried, actor: "portal", fields: ["a": 2, "b": 1])
        #expect(first.canonicalBytes(time: 5) == second.canonicalBytes(time: 5))
    }
}

@Suite struct RFC3339Tests {
    static let timestamps: [(String, UInt64)] = [
        ("1970-01-01T00:00:00Z", 0),
        ("2026-11-27T08:30:00Z", 1_795_768_200_000_000_000),
        ("2026-11-27T16:30:00+08:00", 1_795_768_200_000_000_000),
        ("2024-02-29T23:59:59.5Z", 1_709_251_199_500_000_000),
        // Leap seconds (RFC 3339 section 5.7) are read as the first second of the next day, in
        // UTC or at an offset.
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000_000),
        ("2017-01-01T08:59:60+09:00", 1_483_228_800_000_000_000),
        ("2015-06-30T23:59:60.5Z", 1_435_708_800_500_000_000),
    ]

    @Test(arguments: timestamps)
    func parsesTimestamps(_ text: String, _ nanoseconds: UInt64) {
        #expect(RFC3339.parse(text) == nanoseconds)
    }

    @Test(arguments: ["", "2026-13-01T00:00:00Z", "2026-11-27 08:30", "2026-11-27T08:30:00", "1969-12-31T23:59:59Z", "2026-11-27T08:30:00.Z",
        // Second 60 exists only as the last second of June or December in UTC.
        "2026-11-27T08:30:60Z", "2016-12-31T23:58:60Z", "2016-12-31T23:59:60+09:00", "2016-03-31T23:59:60Z"])
    func refusesMalformedTimestamps(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatWritesFixedWidthUTC() {
        #expect(RFC3339.format(nanoseconds: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(RFC3339.format(nanoseconds: UInt64(1_709_251_199) * 1_000_000_000 + 500_000_000) == "2024-02-29T23:59:59.500000000Z")
        #expect(RFC3339.format(nanoseconds: 1_795_768_200_000_000_042) == "2026-11-27T08:30:00.000000042Z")
    }

    @Test func formatRoundTripsThroughParse() {
        for nanoseconds: UInt64 in [0, 1, 951_782_400_000_000_000, 1_795_768_200_999_999_999, 4_102_444_800_000_000_000] {
            #expect(RFC3339.parse(RFC3339.format(nanoseconds: nanoseconds)) == nanoseconds)
        }
    }
}
