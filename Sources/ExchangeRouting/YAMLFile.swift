import ExchangeModel
import Foundation
import Yams

/// Reads one YAML configuration file into values, collecting errors with line and key.
///
/// Key paths follow the file's structure: `departments[2].certificate.sha256[0]`. Every node's
/// position is remembered by its path, so that errors found later (by validation of values) can
/// still be placed at the right line.
struct YAMLFile {
    let file: String
    var errors: [ConfigurationError] = []
    var marks: [String: Mark] = [:]

    init(file: String) {
        self.file = file
    }

    /// Parses `text`; on a syntax error records it and returns `nil`.
    mutating func compose(_ text: String) -> Node? {
        do {
            guard let node = try YAMLDocument.compose(text) else {
                fail(.missingKey, at: nil, key: "", "the file is empty")
                return nil
            }
            return node
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                errors.append(ConfigurationError(.yamlSyntax, file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(problem)"))
            case .duplicatedKeysInMapping(let duplicates, let context):
                errors.append(ConfigurationError(
                    .duplicate, file: file, line: context.mark.line, column: context.mark.column,
                    message: "duplicate key(s) \(duplicates.joined(separator: ", ")) in a mapping"))
            default:
                errors.append(ConfigurationError(.yamlSyntax, file: file, message: "YAML syntax: \(error)"))
            }
            return nil
        } catch let problem as YAMLDocument.Problem {
            errors.append(ConfigurationError(.yamlSyntax, file: file, message: "the file \(problem.message)"))
            return nil
        } catch {
            errors.append(ConfigurationError(.yamlSyntax, file: file, message: "YAML syntax: \(error)"))
            return nil
        }
    }

    mutating func fail(_ code: ConfigurationError.Code, at node: Node?, key: String, _ message: String) {
        let mark = node?.mark ?? mark(for: key)
        errors.append(ConfigurationError(code, file: file, line: mark?.line, column: mark?.column, key: key, message: message))
    }

    /// Places an issue found by validation at the line of its key (or of the nearest parent).
    mutating func place(_ issue: ConfigurationIssue, prefix: String = "") {
        let key = prefix.isEmpty ? issue.key : prefix + "." + issue.key
        let mark = mark(for: key)
        errors.append(ConfigurationError(issue.code, file: file, line: mark?.line, column: mark?.column, key: key, message: issue.message))
    }

    func mark(for key: String) -> Mark? {
        var path = Substring(key)
        while true {
            if let mark = marks[String(path)] { return mark }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return marks[""] }
            path = path[..<cut]
        }
    }

    mutating func remember(_ node: Node, at key: String) {
        if let mark = node.mark, marks[key] == nil { marks[key] = mark }
    }

    /// The mapping at `node`, after checking that it uses only `allowed` keys.
    mutating func mapping(_ node: Node, key: String, allowed: Set<String>) -> Node.Mapping? {
        remember(node, at: key)
        guard let mapping = node.mapping else {
            fail(.wrongType, at: node, key: key, "expected a mapping of keys to values")
            return nil
        }
        for (name, value) in mapping {
            let childKey = Self.join(key, name.string ?? "?")
            remember(value, at: childKey)
            guard let text = name.string, allowed.contains(text) else {
                fail(.unknownKey, at: name, key: childKey, "unknown key '\(name.string ?? "?")'; expected one of \(allowed.sorted().joined(separator: ", "))")
                continue
            }
        }
        return mapping
    }

    static func join(_ key: String, _ name: String) -> String {
        key.isEmpty ? name : key + "." + name
    }

    /// The value of a required key, or `nil` after recording that it is missing.
    mutating func required(_ mapping: Node.Mapping, _ name: String, in key: String, at node: Node) -> Node? {
        if let value = mapping[name] { return value }
        fail(.missingKey, at: node, key: Self.join(key, name), "missing required key '\(name)'")
        return nil
    }

    /// The text of a scalar.
    mutating func string(_ node: Node, key: String) -> String? {
        remember(node, at: key)
        guard let scalar = node.scalar, Self.tagName(node) != .null else {
            fail(.wrongType, at: node, key: key, "expected text, found \(Self.kind(node))")
            return nil
        }
        return scalar.string
    }

    /// A non-empty text.
    mutating func text(_ node: Node, key: String) -> String? {
        guard let text = string(node, key: key) else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            fail(.invalidValue, at: node, key: key, "must not be empty")
            return nil
        }
        return text
    }

    /// An integer scalar.
    mutating func int(_ node: Node, key: String) -> Int? {
        remember(node, at: key)
        guard node.scalar != nil, Self.tagName(node) == .int, let value = node.int else {
            fail(.wrongType, at: node, key: key, "expected an integer, found \(Self.kind(node))")
            return nil
        }
        return value
    }

    /// A boolean scalar (`true` or `false`).
    mutating func bool(_ node: Node, key: String) -> Bool? {
        remember(node, at: key)
        guard node.scalar != nil, Self.tagName(node) == .bool, let value = node.bool else {
            fail(.wrongType, at: node, key: key, "expected true or false, found \(Self.kind(node))")
            return nil
        }
        return value
    }

    /// A list, each element remembered at `key[i]`.
    mutating func sequence(_ node: Node, key: String) -> [(String, Node)]? {
        remember(node, at: key)
        guard let sequence = node.sequence else {
            fail(.wrongType, at: node, key: key, "expected a list, found \(Self.kind(node))")
            return nil
        }
        return sequence.enumerated().map { index, element in
            let elementKey = "\(key)[\(index)]"
            remember(element, at: elementKey)
            return (elementKey, element)
        }
    }

    /// A list of texts.
    mutating func strings(_ node: Node, key: String) -> [(String, Node, String)]? {
        guard let elements = sequence(node, key: key) else { return nil }
        var result: [(String, Node, String)] = []
        for (elementKey, element) in elements {
            if let text = text(element, key: elementKey) { result.append((elementKey, element, text)) }
        }
        return result
    }

    /// A department id.
    mutating func department(_ node: Node, key: String) -> DepartmentID? {
        guard let text = text(node, key: key) else { return nil }
        guard let id = DepartmentID(text) else {
            fail(.invalidValue, at: node, key: key, "'\(text)' is not a valid department id (1-64 ASCII letters, digits, '-', '_', '.')")
            return nil
        }
        return id
    }

    /// A JSON Pointer.
    mutating func pointer(_ node: Node, key: String) -> JSONPointer? {
        guard let text = string(node, key: key) else { return nil }
        do {
            return try JSONPointer(text)
        } catch {
            fail(.malformedPointer, at: node, key: key, error.description)
            return nil
        }
    }

    /// The node as a JSON value, keeping mapping order; YAML numbers keep their text.
    mutating func json(_ node: Node, key: String) -> JSONValue? {
        remember(node, at: key)
        switch node {
        case .scalar(let scalar):
            // YAML 1.2 core schema: only true/false are booleans and only null/~/empty are null,
            // so that a plain `NO` or `on` stays text.
            switch Self.tagName(node) {
            case .null where ["null", "Null", "NULL", "~", ""].contains(scalar.string): return .null
            case .bool where ["true", "True", "TRUE"].contains(scalar.string): return .bool(true)
            case .bool where ["false", "False", "FALSE"].contains(scalar.string): return .bool(false)
            case .int:
                if let number = JSONNumber(scalar.string) { return .number(number) }
                if let value = node.int { return .number(JSONNumber(value)) }
            case .float:
                if let number = JSONNumber(scalar.string) { return .number(number) }
                if let value = node.float, value.isFinite { return .number(JSONNumber(value)) }
                fail(.invalidValue, at: node, key: key, "'\(scalar.string)' is not a finite number")
                return nil
            default: break
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [JSONObject.Member] = []
            var ok = true
            for (name, value) in mapping {
                guard let text = name.string, name.scalar != nil else {
                    fail(.wrongType, at: name, key: key, "mapping keys must be text")
                    ok = false
                    continue
                }
                guard let converted = json(value, key: Self.join(key, text)) else {
                    ok = false
                    continue
                }
                members.append(JSONObject.Member(key: text, value: converted))
            }
            return ok ? .object(JSONObject(members)) : nil
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            var ok = true
            for (index, element) in sequence.enumerated() {
                guard let converted = json(element, key: "\(key)[\(index)]") else {
                    ok = false
                    continue
                }
                elements.append(converted)
            }
            return ok ? .array(elements) : nil
        case .alias:
            fail(.wrongType, at: node, key: key, "YAML aliases are not supported here")
            return nil
        }
    }

    static func tagName(_ node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: Self.tagName(node) == .null ? "null" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}
