/// What one event on a feeding topic contributes to its registry entry: the key, the action and
/// the indexed fields of its data. Computed on the publisher's task, before the event reaches
/// the store's writer, and again by the rebuild, from the same function.
public struct RegistryInput: Hashable, Sendable {
    /// The collection the event feeds.
    public var collection: String
    /// The entry's key: the event's `subject` (e.g. the licence number).
    public var key: String
    /// What the event does to the entry.
    public var action: RegistryAction
    /// The publishing department.
    public var issuer: String
    /// The holder identifier, from the collection's `holder` pointer.
    public var holder: String?
    /// The licence type, from the collection's `type` pointer.
    public var type: String?
    /// The first day of validity (`YYYY-MM-DD`), from the collection's `valid_from` pointer.
    public var validFrom: String?
    /// The last day of validity (`YYYY-MM-DD`), from the collection's `valid_until` pointer.
    public var validUntil: String?

    /// Creates an input from its parts.
    public init(
        collection: String, key: String, action: RegistryAction, issuer: String, holder: String? = nil, type: String? = nil,
        validFrom: String? = nil, validUntil: String? = nil
    ) {
        self.collection = collection
        self.key = key
        self.action = action
        self.issuer = issuer
        self.holder = holder
        self.type = type
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    /// The input of `envelope` for `collection`, or `nil` when the event has no `subject`
    /// (then it is stored, but feeds no entry).
    ///
    /// Data is parsed only when the collection declares fields; data that is not JSON, or a field
    /// that is absent or not a string or number, leaves that field empty. Dates are cut to their
    /// day (`2027-03-31T00:00:00+08:00` → `2027-03-31`) so that they sort as text.
    /// - Parameters:
    ///   - envelope: the event, `source` set to the publisher.
    ///   - collection: the collection its topic feeds.
    public init?(_ envelope: Envelope, collection: RegistryCollection) {
        guard let subject = envelope.subject, !subject.isEmpty else { return nil }
        self.init(
            collection: collection.name, key: subject, action: RegistryAction(type: envelope.type, topic: envelope.topic),
            issuer: envelope.source)
        let pointers = [collection.holder, collection.type, collection.validFrom, collection.validUntil]
        guard pointers.contains(where: { $0 != nil }), let data = try? JSONValue.parse(envelope.data) else { return }
        holder = collection.holder.flatMap { Self.text($0.resolve(in: data)) }
        type = collection.type.flatMap { Self.text($0.resolve(in: data)) }
        validFrom = collection.validFrom.flatMap { Self.day(Self.text($0.resolve(in: data))) }
        validUntil = collection.validUntil.flatMap { Self.day(Self.text($0.resolve(in: data))) }
    }

    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): text.isEmpty ? nil : text
        case .number(let number): number.description
        default: nil
        }
    }

    /// `YYYY-MM-DD` when `text` starts with a date, else `nil`.
    public static func day(_ text: String?) -> String? {
        guard let text else { return nil }
        let bytes = Array(text.utf8.prefix(10))
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes.enumerated().allSatisfy({ $0.offset == 4 || $0.offset == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) })
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
