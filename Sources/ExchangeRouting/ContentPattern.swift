public import ExchangeModel

/// A content condition over an event, in the style of AWS EventBridge event patterns.
///
/// The pattern is a JSON object. Its top-level keys name envelope attributes (`id`, `source`,
/// `type`, `subject`, `topic`, `time`, `datacontenttype`, `dataschema`, or an extension
/// attribute); the key `data` holds a nested pattern over the event's JSON data. A key's value is
/// a non-empty list of matchers, any of which may match (OR); all keys must match (AND). In
/// `data`, a key's value may also be a nested object pattern.
///
/// Matchers: an exact value (string, number, `true`, `false`, `null`), `{"prefix": "..."}`,
/// `{"suffix": "..."}`, `{"anything-but": value | [values] | {"prefix": "..."} | {"suffix": "..."}}`,
/// `{"numeric": [">=", 0, "<", 100]}` and `{"exists": true | false}`. Numbers compare by value
/// (`300` equals `300.0`); strings compare exactly. When the event holds an array, the rule
/// matches if any element matches. Envelope attributes are text, so number, boolean, null and
/// numeric matchers on them are refused.
///
/// ```swift
/// let pattern = try ContentPattern(JSONValue.parse(#"""
///     {"type": ["licence.issued"], "data": {"city": ["Hangzhou", "Ningbo"], "score": [{"numeric": ["<", 60]}]}}
///     """#))
/// ```
public struct ContentPattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let source: JSONValue
    let attributes: [AttributeRule]
    let data: ObjectPattern?

    /// Whether the pattern looks inside the event's data (so the data must be parsed).
    public var inspectsData: Bool { data != nil }

    /// Patterns are equal when written the same.
    public static func == (lhs: ContentPattern, rhs: ContentPattern) -> Bool { lhs.source == rhs.source }
    /// Hashes the pattern as written.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// The text form, for logs and messages.
    public var description: String { source.description }
}

/// A rule on one envelope attribute.
struct AttributeRule: Sendable {
    let attribute: EnvelopeAttribute
    let matchers: [Matcher]
}

/// An envelope attribute a pattern can address.
enum EnvelopeAttribute: Sendable {
    case id, source, type, subject, topic, time, dataContentType, dataSchema
    case `extension`(String)

    init(name: String) {
        switch name {
        case "id": self = .id
        case "source": self = .source
        case "type": self = .type
        case "subject": self = .subject
        case "topic": self = .topic
        case "time": self = .time
        case "datacontenttype": self = .dataContentType
        case "dataschema": self = .dataSchema
        default: self = .extension(name)
        }
    }

    func value(in envelope: Envelope) -> String? {
        switch self {
        case .id: envelope.id
        case .source: envelope.source
        case .type: envelope.type
        case .subject: envelope.subject
        case .topic: envelope.topic
        case .time: envelope.time
        case .dataContentType: envelope.dataContentType
        case .dataSchema: envelope.dataSchema
        case .extension(let name): envelope.extensions[name]
        }
    }
}

/// A nested pattern over a JSON object.
struct ObjectPattern: Sendable {
    let fields: [(key: String, rule: FieldRule)]
}

/// What one key of an object pattern requires.
indirect enum FieldRule: Sendable {
    case matchers([Matcher])
    case object(ObjectPattern)
}

/// One matcher of a rule's list.
enum Matcher: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case prefix(String)
    case suffix(String)
    case anythingBut(strings: [String], numbers: [Double])
    case anythingButPrefix(String)
    case anythingButSuffix(String)
    case numeric(lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool)
    case exists(Bool)
}
