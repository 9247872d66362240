public import ExchangeModel

extension ContentPattern {
    /// Whether an event meets the pattern.
    ///
    /// - Parameters:
    ///   - envelope: the event's envelope.
    ///   - data: the event's data, parsed; `nil` when it is not JSON. A pattern that inspects
    ///     data never matches an event whose data is not JSON.
    public func matches(_ envelope: Envelope, data: JSONValue?) -> Bool {
        for rule in attributes {
            let value = rule.attribute.value(in: envelope).map(JSONValue.string)
            guard Self.matches(rule.matchers, value) else { return false }
        }
        if let pattern = self.data {
            guard let data else { return false }
            return Self.matches(pattern, data)
        }
        return true
    }

    static func matches(_ pattern: ObjectPattern, _ value: JSONValue?) -> Bool {
        if case .array(let elements) = value {
            return elements.contains { matches(pattern, $0) }
        }
        for (key, rule) in pattern.fields {
            let child = value?[key]
            switch rule {
            case .matchers(let matchers):
                guard matches(matchers, child) else { return false }
            case .object(let nested):
                guard matches(nested, child) else { return false }
            }
        }
        return true
    }

    static func matches(_ matchers: [Matcher], _ value: JSONValue?) -> Bool {
        guard let value else {
            return matchers.contains(.exists(false))
        }
        if matchers.contains(.exists(true)) { return true }
        if case .array(let elements) = value {
            return elements.contains { element in matchers.contains { matches($0, element) } }
        }
        return matchers.contains { matches($0, value) }
    }

    static func matches(_ matcher: Matcher, _ value: JSONValue) -> Bool {
        switch (matcher, value) {
        case (.string(let expected), .string(let actual)):
            return expected == actual
        case (.number(let expected), .number(let actual)):
            return expected == actual.doubleValue
        case (.bool(let expected), .bool(let actual)):
            return expected == actual
        case (.null, .null):
            return true
        case (.prefix(let prefix), .string(let actual)):
            return actual.utf8.starts(with: prefix.utf8)
        case (.suffix(let suffix), .string(let actual)):
            return actual.utf8.reversed().starts(with: suffix.utf8.reversed())
        case (.anythingBut(let strings, let numbers), _):
            switch value {
            case .string(let actual): return !strings.contains(actual)
            case .number(let actual): return !numbers.contains(actual.doubleValue)
            case .array, .object: return false
            default: return true
            }
        case (.anythingButPrefix(let prefix), .string(let actual)):
            return !actual.utf8.starts(with: prefix.utf8)
        case (.anythingButSuffix(let suffix), .string(let actual)):
            return !actual.utf8.reversed().starts(with: suffix.utf8.reversed())
        case (.numeric(let lower, let lowerInclusive, let upper, let upperInclusive), .number(let actual)):
            let number = actual.doubleValue
            if let lower {
                guard lowerInclusive ? number >= lower : number > lower else { return false }
            }
            if let upper {
                guard upperInclusive ? number <= upper : number < upper else { return false }
            }
            return true
        default:
            return false
        }
    }
}
