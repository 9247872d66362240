/// Why an event recorded in a registry entry's history had no effect on it.
///
/// A flagged event is stored in the log as any other and listed in the entry's history with its
/// flag; the entry's status and data stay as they were.
public enum RegistryFlag: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// An amendment, renewal, suspension, reinstatement or revocation for a key never issued.
    case notIssued = "not_issued"
    /// An issue for a key already issued.
    case alreadyIssued = "already_issued"
    /// Any event after the revocation (a revoked licence cannot be revived).
    case afterRevocation = "after_revocation"
    /// A suspension of a suspended licence, or a reinstatement of one that is not suspended.
    case noEffect = "no_effect"
    /// The event's type names no registry action.
    case unknownType = "unknown_type"

    /// The one-byte code stored in history items (0 means no flag).
    var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)! + 1) }

    /// The flag of a stored code; `nil` for 0 or an unknown code.
    init?(code: UInt8) {
        guard code > 0, Int(code) <= Self.allCases.count else { return nil }
        self = Self.allCases[Int(code) - 1]
    }

    /// The flag's name.
    public var description: String { rawValue }
}
