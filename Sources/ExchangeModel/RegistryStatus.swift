/// The status of a registry entry.
///
/// The store keeps `notIssued`, `valid`, `suspended` or `revoked`; `expired` is derived when the
/// entry is read: a `valid` entry whose validity ended before the day of the query.
public enum RegistryStatus: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Issued and in force.
    case valid
    /// Temporarily not in force; a reinstatement makes it valid again.
    case suspended
    /// Withdrawn for good; no later event changes it.
    case revoked
    /// Valid, but its last day of validity has passed (derived at query time).
    case expired
    /// Events arrived for the key but none issued it (out of order or wrong key).
    case notIssued = "not_issued"

    /// The one-byte code stored in entries and in the status index.
    var code: UInt8 {
        switch self {
        case .notIssued: 0
        case .valid: 1
        case .suspended: 2
        case .revoked: 3
        case .expired: 4
        }
    }

    /// The status of a stored code.
    init?(code: UInt8) {
        guard let status = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = status
    }

    /// The status's name.
    public var description: String { rawValue }
}
