/// A JSON object in canonical form, prepared ahead so that members known only later (the time,
/// a sequence) can be merged in with a copy rather than a re-encoding.
///
/// Members are kept as encoded `"name":value` byte runs sorted by the UTF-8 bytes of the name:
/// the order of `AuditEvent.canonicalBytes(time:)`.
public struct CanonicalObject: Hashable, Sendable {
    /// One encoded member.
    public struct Member: Hashable, Sendable {
        /// The member's name as UTF-8.
        public var name: [UInt8]
        /// The whole member, `"name":value`, canonically encoded.
        public var encoded: [UInt8]

        /// Encodes `value` under `name`.
        public init(name: String, value: AuditValue) {
            self.name = Array(name.utf8)
            var encoded: [UInt8] = []
            AuditValue.string(name).writeCanonical(into: &encoded)
            encoded.append(UInt8(ascii: ":"))
            value.writeCanonical(into: &encoded)
            self.encoded = encoded
        }

        /// A member whose value is already canonical JSON text.
        public init(name: String, encodedValue: [UInt8]) {
            self.name = Array(name.utf8)
            var encoded: [UInt8] = []
            AuditValue.string(name).writeCanonical(into: &encoded)
            encoded.append(UInt8(ascii: ":"))
            encoded.append(contentsOf: encodedValue)
            self.encoded = encoded
        }
    }

    /// The members, sorted by name.
    public private(set) var members: [Member]

    /// Encodes `fields` canonically.
    public init(_ fields: [String: AuditValue]) {
        members = fields.map { Member(name: $0.key, value: $0.value) }
            .sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// Appends the object's canonical text to `output`, with `extra` members merged in order.
    /// - Parameters:
    ///   - extra: members to add, sorted by name; their names must not be in the object.
    ///   - output: where the bytes go.
    public func write(adding extra: [Member] = [], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        var own = members.startIndex
        var added = extra.startIndex
        var first = true
        while own < members.endIndex || added < extra.endIndex {
            let takeOwn: Bool
            if own == members.endIndex {
                takeOwn = false
            } else if added == extra.endIndex {
                takeOwn = true
            } else {
                takeOwn = members[own].name.lexicographicallyPrecedes(extra[added].name)
            }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            if takeOwn {
                output.append(contentsOf: members[own].encoded)
                own += 1
            } else {
                output.append(contentsOf: extra[added].encoded)
                added += 1
            }
        }
        output.append(UInt8(ascii: "}"))
    }
}

extension AuditEvent {
    /// The entry's members other than `time` (and any the store stamps), canonically encoded.
    public func prepared() -> CanonicalObject {
        var members = fields
        members["kind"] = .string(kind.rawValue)
        members["actor"] = .string(actor)
        return CanonicalObject(members)
    }
}
