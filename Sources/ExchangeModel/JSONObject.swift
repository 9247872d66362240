/// A JSON object whose members keep the order they were written in.
///
/// Lookup by key is a linear scan, which is the fastest choice for the small objects events carry.
/// A parsed object never holds the same key twice: the parser refuses duplicate keys, so that a
/// content pattern and a consumer can never read different values for the same name.
public struct JSONObject: Hashable, Sendable, RandomAccessCollection {
    /// One member of an object.
    public struct Member: Hashable, Sendable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// Creates a member.
        /// - Parameters:
        ///   - key: the member's name.
        ///   - value: the member's value.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in document order.
    public var members: [Member]

    /// Creates an object from members in order.
    /// - Parameter members: the members; keys should be unique.
    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// The value of the member named `key`, or `nil` when there is none.
    public subscript(key: String) -> JSONValue? {
        for member in members where member.key == key {
            return member.value
        }
        return nil
    }

    /// The position of the first member.
    public var startIndex: Int { members.startIndex }
    /// The position past the last member.
    public var endIndex: Int { members.endIndex }
    /// The member at `position`.
    public subscript(position: Int) -> Member { members[position] }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object from a literal, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }
}
