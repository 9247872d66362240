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

    /// Creates a collection.
    /// - Parameters:
    ///   - name: the collection's name.
    ///   - holder: pointer to the holder identifier; none by default.
    ///   - type: pointer to the licence type; none by default.
    ///   - validFrom: pointer to the start of validity; none by default.
    ///   - validUntil: pointer to the end of validity; none by default (the entry never expires).
    public init(
        name: String, holder: JSONPointer? = nil, type: JSONPointer? = nil, validFrom: JSONPointer? = nil, validUntil: JSONPointer? = nil
    ) {
        self.name = name
        self.holder = holder
        self.type = type
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// Whether `text` is a valid collection name: 1 to 64 letters, digits, `-` and `_`.
    public static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }
}
