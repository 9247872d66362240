package import ExchangeModel

/// A control message (a subscription body, a settlement, a stream's control frame) read under
/// the rules Foundation's decoder does not apply: each key once, only the members the message
/// defines, and whole numbers written as such (`1.0` and `1e0` are not sequences).
package protocol StrictlyRead: Decodable {
    /// The members the message defines.
    static var members: Set<String> { get }
    /// The members of the message's members that may be objects, by member name.
    static var nestedMembers: [String: Set<String>] { get }
}

extension StrictlyRead {
    package static var nestedMembers: [String: Set<String>] { [:] }

    /// What breaks those rules in `bytes`, or `nil`. Bytes this reader cannot parse are refused
    /// with what it found (a duplicate key, an unpaired surrogate, nesting past
    /// ``JSONValue/maximumDepth``): left to Foundation's decoder, which accepts some of them,
    /// they would be read without these rules (a key twice, the first value taken). A value that
    /// is not an object is left to the decoder, which names what is wrong.
    package static func strictViolation(_ bytes: some Collection<UInt8>) -> String? {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            return error.message
        }
        return strictViolation(in: value)
    }

    /// What breaks those rules in `value`, already parsed by this reader, or `nil`.
    static func strictViolation(in value: JSONValue) -> String? {
        guard case .object(let object) = value else { return nil }
        for member in object {
            guard members.contains(member.key) else { return unknown(member.key, members) }
            if case .object(let inner) = member.value, let allowed = nestedMembers[member.key] {
                for field in inner where !allowed.contains(field.key) {
                    return unknown("\(member.key).\(field.key)", allowed)
                }
            }
        }
        if let number = firstFraction(in: value) { return "\(number) is not a whole number" }
        return nil
    }

    private static func unknown(_ name: String, _ allowed: Set<String>) -> String {
        "unknown member \"\(String(name.prefix(64)))\"; the members are \(allowed.sorted().joined(separator: ", "))"
    }

    /// The first number in `value` written with a fraction or an exponent (at most 64
    /// characters of it), depth first.
    private static func firstFraction(in value: JSONValue) -> String? {
        switch value {
        case .number(let number):
            let text = number.text
            let digits = text.hasPrefix("-") ? text.dropFirst() : text[...]
            return !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? nil : String(text.prefix(64))
        case .array(let items):
            for item in items { if let found = firstFraction(in: item) { return found } }
            return nil
        case .object(let object):
            for member in object { if let found = firstFraction(in: member.value) { return found } }
            return nil
        case .null, .bool, .string:
            return nil
        }
    }
}

/// A strictly read message whose members are taken from the strict reader's parse, so that it
/// is read with one parse instead of the strict check and then Foundation's decoder.
package protocol StrictlyReadOnce: StrictlyRead {
    /// The message `value` holds, as Foundation's decoder would read it, or `nil` when the
    /// decoder would refuse it (the caller may ask the decoder why).
    init?(members value: JSONValue)
}

extension StrictlyReadOnce {
    /// Reads `bytes` with one parse: the rules of ``strictViolation(_:)``, then the members.
    /// - Returns: the message, or what the strict rules found; neither when the message has the
    ///   wrong shape or types.
    package static func read(_ bytes: some Collection<UInt8>) -> (value: Self?, violation: String?) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            return (nil, error.message)
        }
        if let violation = strictViolation(in: value) { return (nil, violation) }
        return (Self(members: value), nil)
    }
}

/// Members read as Foundation's decoder reads them from a parsed message.
enum StrictMembers {
    /// A whole number of type `T`: `.some(nil)` when absent or `null`, `nil` when of another
    /// type or out of `T`'s range.
    static func whole<T: FixedWidthInteger>(_ member: JSONValue?, as _: T.Type) -> T?? {
        switch member {
        case nil, .null?: .some(nil)
        case .number(let number)?: T(number.text).map { .some($0) }
        default: nil
        }
    }

    /// A list of sequences (whole numbers from 0 to 2^64-1): `.some(nil)` when absent or
    /// `null`, `nil` when any item is not such a number.
    static func sequences(_ member: JSONValue?) -> [UInt64]?? {
        switch member {
        case nil, .null?: return .some(nil)
        case .array(let items)?:
            var sequences: [UInt64] = []
            sequences.reserveCapacity(items.count)
            for item in items {
                guard case .number(let number) = item, let sequence = UInt64(number.text) else { return nil }
                sequences.append(sequence)
            }
            return .some(sequences)
        default: return nil
        }
    }
}

extension SubscriptionRequest: StrictlyRead {
    package static var members: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }
    package static var nestedMembers: [String: Set<String>] { ["start": Set(StartValue.Key.allCases.map(\.rawValue))] }
}

extension SequencesRequest: StrictlyReadOnce {
    package static var members: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }
}

extension StreamControl: StrictlyReadOnce {
    package static var members: Set<String> { Set(CodingKeys.allCases.map(\.rawValue)) }
}
