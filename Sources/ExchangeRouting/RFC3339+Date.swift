public import ExchangeModel
public import Foundation

extension RFC3339 {
    /// The instant an RFC 3339 timestamp or plain date (midnight UTC) names, or `nil`.
    /// - Parameter text: e.g. `2026-06-01T00:00:00+08:00`, `2026-06-01T00:00:00.5Z` or `2026-06-01`.
    public static func date(_ text: String) -> Date? {
        parse(text).map { Date(timeIntervalSince1970: TimeInterval($0 / 1_000_000_000) + TimeInterval($0 % 1_000_000_000) / 1e9) }
    }
}
