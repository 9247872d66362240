public import ExchangeModel

extension ContentPattern {
    /// The greatest nesting of object patterns accepted inside `data`.
    public static let maximumDepth = 16

    /// Checks and compiles a pattern.
    /// - Parameter source: the pattern as a JSON object (see ``ContentPattern``).
    /// - Throws: ``ContentPatternError`` naming the path of the first problem, e.g. an unknown
    ///   operator, an empty list, a numeric range that is empty, or a matcher that can never
    ///   match an envelope attribute.
    public init(_ source: JSONValue) throws(ContentPatternError) {
        guard case .object(let object) = source else {
            throw ContentPatternError(path: "", message: "a pattern must be an object, not \(source.kindName)")
        }
        guard !object.members.isEmpty else {
            throw ContentPatternError(path: "", message: "a pattern must name at least one attribute or 'data'")
        }
        var attributes: [AttributeRule] = []
        var data: ObjectPattern?
        for member in object.members {
            if member.key == "data" {
                guard case .object(let nested) = member.value else {
                    throw ContentPatternError(
                        path: "data", message: "'data' must hold a nested pattern object, not \(member.value.kindName)")
                }
                data = try Self.compileObject(nested, path: "data", depth: 1)
                continue
            }
            guard Self.isAttributeName(member.key) else {
                throw ContentPatternError(
                    path: member.key,
                    message: "'\(member.key)' is not an envelope attribute name (lowercase letters and digits); "
                        + "put conditions on the event's content under 'data'")
            }
            guard case .array(let list) = member.value else {
                throw ContentPatternError(
                    path: member.key,
                    message: "envelope attribute '\(member.key)' needs a list of matchers, e.g. [\"value\"], not \(member.value.kindName)")
            }
            let matchers = try Self.compileMatchers(list, path: member.key, attribute: member.key)
            attributes.append(AttributeRule(attribute: EnvelopeAttribute(name: member.key), matchers: matchers))
        }
        self.source = source
        self.attributes = attributes
        self.data = data
    }

    static func isAttributeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }
    }

    static func compileObject(_ object: JSONObject, path: String, depth: Int) throws(ContentPatternError) -> ObjectPattern {
        guard depth <= maximumDepth else {
            throw ContentPatternError(path: path, message: "pattern nested deeper than \(maximumDepth) levels")
        }
        guard !object.members.isEmpty else {
            throw ContentPatternError(path: path, message: "an empty object pattern matches everything; remove it or add a field")
        }
        var fields: [(key: String, rule: FieldRule)] = []
        for member in object.members {
            let childPath = path + "." + member.key
            switch member.value {
            case .array(let list):
                fields.append((member.key, .matchers(try compileMatchers(list, path: childPath, attribute: nil))))
            case .object(let nested):
                fields.append((member.key, .object(try compileObject(nested, path: childPath, depth: depth + 1))))
            default:
                throw ContentPatternError(
                    path: childPath,
                    message: "expected a list of matchers or a nested object, not \(member.value.kindName); "
                        + "write [\(member.value)] to match the exact value")
            }
        }
        return ObjectPattern(fields: fields)
    }

    static func compileMatchers(_ list: [JSONValue], path: String, attribute: String?) throws(ContentPatternError) -> [Matcher] {
        guard !list.isEmpty else {
            throw ContentPatternError(path: path, message: "an empty list of matchers can never match")
        }
        var matchers: [Matcher] = []
        for (index, element) in list.enumerated() {
            let elementPath = "\(path)[\(index)]"
            let matcher = try compileMatcher(element, path: elementPath)
            if let attribute {
                try checkApplicableToText(matcher, attribute: attribute, path: elementPath)
            }
            matchers.append(matcher)
        }
        return matchers
    }

    static func checkApplicableToText(_ matcher: Matcher, attribute: String, path: String) throws(ContentPatternError) {
        let problem: String?
        switch matcher {
        case .number: problem = "a number"
        case .bool: problem = "a boolean"
        case .null: problem = "null"
        case .numeric: problem = "a numeric range"
        case .anythingBut(_, let numbers) where !numbers.isEmpty: problem = "anything-but with numbers"
        default: problem = nil
        }
        if let problem {
            throw ContentPatternError(
                path: path,
                message: "envelope attribute '\(attribute)' is text, so \(problem) can never match it; quote the value or move the condition under 'data'")
        }
    }

    static func compileMatcher(_ value: JSONValue, path: String) throws(ContentPatternError) -> Matcher {
        switch value {
        case .string(let string): return .string(string)
        case .number(let number): return .number(number.doubleValue)
        case .bool(let bool): return .bool(bool)
        case .null: return .null
        case .array:
            throw ContentPatternError(path: path, message: "a matcher must be a value or an operator object, not a nested list")
        case .object(let object):
            guard object.members.count == 1, let member = object.members.first else {
                throw ContentPatternError(
                    path: path, message: "an operator object must hold exactly one operator, found \(object.members.count)")
            }
            let operatorPath = path + "." + member.key
            switch member.key {
            case "prefix", "suffix":
                guard case .string(let text) = member.value else {
                    throw ContentPatternError(path: operatorPath, message: "'\(member.key)' needs a string, not \(member.value.kindName)")
                }
                guard !text.isEmpty else {
                    throw ContentPatternError(path: operatorPath, message: "an empty '\(member.key)' matches every string; use {\"exists\": true}")
                }
                return member.key == "prefix" ? .prefix(text) : .suffix(text)
            case "anything-but":
                return try compileAnythingBut(member.value, path: operatorPath)
            case "numeric":
                return try compileNumeric(member.value, path: operatorPath)
            case "exists":
                guard case .bool(let flag) = member.value else {
                    throw ContentPatternError(path: operatorPath, message: "'exists' needs true or false, not \(member.value.kindName)")
                }
                return .exists(flag)
            default:
                throw ContentPatternError(
                    path: path,
                    message: "unknown operator '\(member.key)'; known: prefix, suffix, anything-but, numeric, exists")
            }
        }
    }

    static func compileAnythingBut(_ value: JSONValue, path: String) throws(ContentPatternError) -> Matcher {
        var strings: [String] = []
        var numbers: [Double] = []
        func add(_ element: JSONValue, _ elementPath: String) throws(ContentPatternError) {
            switch element {
            case .string(let string): strings.append(string)
            case .number(let number): numbers.append(number.doubleValue)
            default:
                throw ContentPatternError(
                    path: elementPath, message: "'anything-but' lists strings or numbers, not \(element.kindName)")
            }
        }
        switch value {
        case .string, .number:
            try add(value, path)
        case .array(let list):
            guard !list.isEmpty else {
                throw ContentPatternError(path: path, message: "'anything-but' needs at least one value")
            }
            for (index, element) in list.enumerated() {
                try add(element, "\(path)[\(index)]")
            }
        case .object(let object):
            guard object.members.count == 1, let member = object.members.first,
                member.key == "prefix" || member.key == "suffix"
            else {
                throw ContentPatternError(path: path, message: "'anything-but' takes an object only as {\"prefix\": ...} or {\"suffix\": ...}")
            }
            guard case .string(let text) = member.value, !text.isEmpty else {
                throw ContentPatternError(path: path + "." + member.key, message: "'\(member.key)' needs a non-empty string")
            }
            return member.key == "prefix" ? .anythingButPrefix(text) : .anythingButSuffix(text)
        default:
            throw ContentPatternError(path: path, message: "'anything-but' needs a string, a number, a list or a prefix/suffix object, not \(value.kindName)")
        }
        return .anythingBut(strings: strings, numbers: numbers)
    }

    static func compileNumeric(_ value: JSONValue, path: String) throws(ContentPatternError) -> Matcher {
        guard case .array(let list) = value, list.count == 2 || list.count == 4 else {
            throw ContentPatternError(
                path: path, message: "'numeric' needs [operator, number] or [operator, number, operator, number], e.g. [\">=\", 0, \"<\", 100]")
        }
        var lower: Double?
        var lowerInclusive = false
        var upper: Double?
        var upperInclusive = false
        var equals: Double?
        for pairIndex in stride(from: 0, to: list.count, by: 2) {
            guard case .string(let op) = list[pairIndex] else {
                throw ContentPatternError(path: "\(path)[\(pairIndex)]", message: "expected an operator (=, <, <=, >, >=), not \(list[pairIndex].kindName)")
            }
            guard case .number(let number) = list[pairIndex + 1], number.doubleValue.isFinite else {
                throw ContentPatternError(path: "\(path)[\(pairIndex + 1)]", message: "expected a finite number after '\(op)'")
            }
            let bound = number.doubleValue
            switch op {
            case "=":
                guard list.count == 2 else {
                    throw ContentPatternError(path: "\(path)[\(pairIndex)]", message: "'=' cannot be combined with another bound")
                }
                equals = bound
            case ">", ">=":
                guard lower == nil else {
                    throw ContentPatternError(path: "\(path)[\(pairIndex)]", message: "two lower bounds; use one of > or >= and one of < or <=")
                }
                lower = bound
                lowerInclusive = op == ">="
            case "<", "<=":
                guard upper == nil else {
                    throw ContentPatternError(path: "\(path)[\(pairIndex)]", message: "two upper bounds; use one of > or >= and one of < or <=")
                }
                upper = bound
                upperInclusive = op == "<="
            default:
                throw ContentPatternError(path: "\(path)[\(pairIndex)]", message: "unknown numeric operator '\(op)'; use =, <, <=, >, >=")
            }
        }
        if let equals {
            return .numeric(lower: equals, lowerInclusive: true, upper: equals, upperInclusive: true)
        }
        if let lower, let upper {
            let empty = lower > upper || (lower == upper && !(lowerInclusive && upperInclusive))
            guard !empty else {
                throw ContentPatternError(path: path, message: "the range is empty: no number is above \(lower) and below \(upper)")
            }
        }
        return .numeric(lower: lower, lowerInclusive: lowerInclusive, upper: upper, upperInclusive: upperInclusive)
    }
}
