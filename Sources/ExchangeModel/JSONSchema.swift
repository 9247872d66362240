/// A compiled JSON Schema (a documented subset of draft 2020-12) for checking event data.
///
/// Supported keywords: `type` (a name or a list; `integer` included), `enum`, `const`,
/// `properties`, `required`, `additionalProperties` (a boolean or a schema), `items`,
/// `minItems`, `maxItems`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`, and `format` `date` and `date-time` (checked).
/// Annotations (`$schema`, `$id`, `title`, `description`, `examples`, `default`, `$comment`)
/// are ignored. Any other keyword is refused when the schema is compiled, so that a schema
/// never silently checks less than its author meant.
///
/// ```swift
/// let schema = try JSONSchema(JSONValue.parse(#"{"type":"object","required":["licence_no"]}"#))
/// if let violation = schema.validate(try JSONValue.parse(data)) { print(violation) }
/// ```
public struct JSONSchema: Hashable, Sendable {
    /// The schema as written.
    public let source: JSONValue
    private let root: Node

    /// Compiles a schema.
    /// - Throws: `JSONSchemaError` naming the keyword (as a JSON Pointer) that is wrong.
    public init(_ source: JSONValue) throws(JSONSchemaError) {
        self.source = source
        self.root = try Node(source, at: "")
    }

    /// The first place where `value` breaks the schema, or `nil` when it conforms.
    public func validate(_ value: JSONValue) -> JSONSchemaViolation? {
        root.validate(value, at: "")
    }

    public static func == (lhs: JSONSchema, rhs: JSONSchema) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

/// A schema that cannot be compiled.
public struct JSONSchemaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where in the schema, as a JSON Pointer.
    public let path: String
    /// What is wrong.
    public let message: String

    public var description: String { "schema\(path.isEmpty ? "" : " at \(path)"): \(message)" }
}

/// Where and how data breaks a schema.
public struct JSONSchemaViolation: Hashable, Sendable, CustomStringConvertible {
    /// Where in the data, as a JSON Pointer (empty for the whole document).
    public let path: String
    /// What is wrong.
    public let message: String

    public var description: String { "\(path.isEmpty ? "data" : path): \(message)" }
}

extension JSONSchema {
    fileprivate indirect enum Additional: Hashable, Sendable {
        case allowed
        case forbidden
        case schema(Node)
    }

    fileprivate struct Node: Hashable, Sendable {
        var types: Set<String>?
        var enumeration: [JSONValue]?
        var constant: JSONValue?
        var properties: [String: Node] = [:]
        var required: [String] = []
        var additional: Additional = .allowed
        var items: [Node] = []
        var minItems: Int?
        var maxItems: Int?
        var minLength: Int?
        var maxLength: Int?
        var pattern: String?
        var minimum: Double?
        var maximum: Double?
        var exclusiveMinimum: Double?
        var exclusiveMaximum: Double?
        var format: String?

        static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]
        static let annotations: Set<String> = ["$schema", "$id", "title", "description", "examples", "default", "$comment"]

        init(_ value: JSONValue, at path: String) throws(JSONSchemaError) {
            if case .bool(let accept) = value {
                if !accept { enumeration = [] }
                return
            }
            guard case .object(let object) = value else {
                throw JSONSchemaError(path: path, message: "a schema must be an object or a boolean")
            }
            for member in object {
                let key = member.key
                let at = path + "/" + key
                let field = member.value
                switch key {
                case "type":
                    let names: [String]
                    switch field {
                    case .string(let name): names = [name]
                    case .array(let list): names = list.compactMap(\.stringValue)
                    default: names = []
                    }
                    guard !names.isEmpty, names.allSatisfy(Self.typeNames.contains) else {
                        throw JSONSchemaError(path: at, message: "must name types among \(Self.typeNames.sorted().joined(separator: ", "))")
                    }
                    types = Set(names)
                case "enum":
                    guard case .array(let list) = field else { throw JSONSchemaError(path: at, message: "must be an array") }
                    enumeration = list
                case "const":
                    constant = field
                case "properties":
                    guard case .object(let members) = field else { throw JSONSchemaError(path: at, message: "must be an object") }
                    for property in members {
                        properties[property.key] = try Node(property.value, at: at + "/" + property.key)
                    }
                case "required":
                    guard case .array(let list) = field, list.allSatisfy({ $0.stringValue != nil }) else {
                        throw JSONSchemaError(path: at, message: "must be an array of property names")
                    }
                    required = list.compactMap(\.stringValue)
                case "additionalProperties":
                    if case .bool(let allowed) = field {
                        additional = allowed ? .allowed : .forbidden
                    } else {
                        additional = .schema(try Node(field, at: at))
                    }
                case "items":
                    items = [try Node(field, at: at)]
                case "minItems", "maxItems", "minLength", "maxLength":
                    // Int(exactly:) also refuses counts past Int.max (1e19), which Int(_:) traps on.
                    guard let number = field.doubleValue, number >= 0, let count = Int(exactly: number) else {
                        throw JSONSchemaError(path: at, message: "must be a non-negative whole number")
                    }
                    switch key {
                    case "minItems": minItems = count
                    case "maxItems": maxItems = count
                    case "minLength": minLength = count
                    default: maxLength = count
                    }
                case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                    guard let number = field.doubleValue else { throw JSONSchemaError(path: at, message: "must be a number") }
                    switch key {
                    case "minimum": minimum = number
                    case "maximum": maximum = number
                    case "exclusiveMinimum": exclusiveMinimum = number
                    default: exclusiveMaximum = number
                    }
                case "pattern":
                    guard let text = field.stringValue, (try? Regex(text)) != nil else {
                        throw JSONSchemaError(path: at, message: "must be a valid regular expression")
                    }
                    pattern = text
                case "format":
                    guard let text = field.stringValue else { throw JSONSchemaError(path: at, message: "must be text") }
                    format = text
                default:
                    guard Self.annotations.contains(key) else {
                        throw JSONSchemaError(path: at, message: "keyword '\(key)' is not supported; see the documented subset")
                    }
                }
            }
        }

        func validate(_ value: JSONValue, at path: String) -> JSONSchemaViolation? {
            func fail(_ message: String) -> JSONSchemaViolation { JSONSchemaViolation(path: path, message: message) }
            if let types {
                let kind = value.kindName
                let isInteger: Bool = {
                    if case .number(let number) = value { return number.doubleValue == number.doubleValue.rounded() }
                    return false
                }()
                let accepted = types.contains(kind) || (kind == "number" && isInteger && types.contains("integer"))
                guard accepted else { return fail("is \(kind), expected \(types.sorted().joined(separator: " or "))") }
            }
            if let enumeration, !enumeration.contains(value) {
                return fail(enumeration.isEmpty ? "is not allowed here" : "is not one of the allowed values")
            }
            if let constant, constant != value { return fail("must equal \(constant)") }
            switch value {
            case .object(let object):
                for name in required where object[name] == nil {
                    return fail("lacks required property '\(name)'")
                }
                for member in object {
                    let at = path + "/" + Self.escape(member.key)
                    if let schema = properties[member.key] {
                        if let violation = schema.validate(member.value, at: at) { return violation }
                    } else {
                        switch additional {
                        case .allowed: break
                        case .forbidden: return JSONSchemaViolation(path: at, message: "is not an allowed property")
                        case .schema(let schema): if let violation = schema.validate(member.value, at: at) { return violation }
                        }
                    }
                }
            case .array(let elements):
                if let minItems, elements.count < minItems { return fail("has \(elements.count) items, at least \(minItems) required") }
                if let maxItems, elements.count > maxItems { return fail("has \(elements.count) items, at most \(maxItems) allowed") }
                if let schema = items.first {
                    for (index, element) in elements.enumerated() {
                        if let violation = schema.validate(element, at: path + "/\(index)") { return violation }
                    }
                }
            case .string(let text):
                let length = text.count
                if let minLength, length < minLength { return fail("is \(length) characters long, at least \(minLength) required") }
                if let maxLength, length > maxLength { return fail("is \(length) characters long, at most \(maxLength) allowed") }
                if let pattern, let regex = try? Regex(pattern), (try? regex.firstMatch(in: text)) == nil {
                    return fail("does not match the pattern \(pattern)")
                }
                switch format {
                case "date" where text.utf8.count != 10 || !RFC3339.isValid(text):
                    return fail("is not a date (YYYY-MM-DD)")
                case "date-time" where text.utf8.count <= 10 || !RFC3339.isValid(text):
                    return fail("is not an RFC 3339 date-time")
                default: break
                }
            case .number(let number):
                let double = number.doubleValue
                if let minimum, double < minimum { return fail("is less than \(minimum)") }
                if let maximum, double > maximum { return fail("is greater than \(maximum)") }
                if let exclusiveMinimum, double <= exclusiveMinimum { return fail("must be greater than \(exclusiveMinimum)") }
                if let exclusiveMaximum, double >= exclusiveMaximum { return fail("must be less than \(exclusiveMaximum)") }
            case .null, .bool:
                break
            }
            return nil
        }

        static func escape(_ key: String) -> String {
            var escaped = ""
            for character in key {
                switch character {
                case "~": escaped += "~0"
                case "/": escaped += "~1"
                default: escaped.append(character)
                }
            }
            return escaped
        }
    }
}
