/// The secondary indexes of a registry collection. Each maps a value of the entry to its key;
/// the store keeps them in the entry's transaction.
public enum RegistryIndex: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The holder identifier.
    case holder = 1
    /// The licence type.
    case type = 2
    /// The stored status (`not_issued`, `valid`, `suspended`, `revoked`).
    case status = 3
    /// The issuing department.
    case issuer = 4
    /// The last day of validity (`YYYY-MM-DD`, sorts as text).
    case expiry = 5

    /// The values `entry` is indexed under, one per index at most.
    public static func values(of entry: RegistryEntry) -> [(index: RegistryIndex, value: String)] {
        var values: [(RegistryIndex, String)] = []
        if let holder = entry.holder { values.append((.holder, holder)) }
        if let type = entry.type { values.append((.type, type)) }
        values.append((.status, entry.storedStatus.rawValue))
        if let issuer = entry.issuer { values.append((.issuer, issuer)) }
        if let validUntil = entry.validUntil { values.append((.expiry, validUntil)) }
        return values
    }

    /// The index's name.
    public var description: String {
        switch self {
        case .holder: "holder"
        case .type: "type"
        case .status: "status"
        case .issuer: "issuer"
        case .expiry: "expiry"
        }
    }
}
