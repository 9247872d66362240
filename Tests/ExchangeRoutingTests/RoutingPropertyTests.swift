import ExchangeModel
import ExchangeRouting
import PropertyBased
import Testing

/// Random documents and pointers into them.
enum RandomJSON {
    static let keys = ["a", "b", "c", "0", "1", "x/y"]

    static func value(depth: Int, using rng: inout any SeededRandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 6 : 4), using: &rng) {
        case 0: return .null
        case 1: return .number(JSONNumber(Int.random(in: -5...5, using: &rng)))
        case 2: return .string(keys[Int.random(in: 0..<keys.count, using: &rng)])
        case 3: return .bool(Bool.random(using: &rng))
        case 4: return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in value(depth: depth - 1, using: &rng) })
        default:
            var members: [JSONObject.Member] = []
            for key in keys.shuffled(using: &rng).prefix(Int.random(in: 0...4, using: &rng)) {
                members.append(.init(key: key, value: value(depth: depth - 1, using: &rng)))
            }
            return .object(JSONObject(members))
        }
    }

    static func pointer(using rng: inout any SeededRandomNumberGenerator) -> JSONPointer {
        let tokens = keys + ["2", "-", "01"]
        return JSONPointer(tokens: (0..<Int.random(in: 1...3, using: &rng)).map { _ in tokens[Int.random(in: 0..<tokens.count, using: &rng)] })
    }

    /// A document and a few pointers into it.
    static let case_ = Generator<(JSONValue, [JSONPointer]), Shrink.None<(JSONValue, [JSONPointer])>> { rng in
        let document = value(depth: 4, using: &rng)
        let pointers = (0..<Int.random(in: 1...4, using: &rng)).map { _ in pointer(using: &rng) }
        return (document, pointers)
    }

    /// Every path in `value` that names something, as tokens.
    static func paths(_ value: JSONValue, _ prefix: [String] = []) -> [[String]] {
        var result = [prefix]
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() { result += paths(element, prefix + [String(index)]) }
        case .object(let object):
            for member in object.members { result += paths(member.value, prefix + [member.key]) }
        default: break
        }
        return result
    }
}

@Suite struct RoutingPropertyTests {
    @Test func projectionKeepsEverySelectedValueInPlace() async {
        await propertyCheck(count: 500, input: RandomJSON.case_) { input in
            let (document, pointers) = input
            let projected = FieldProjection(pointers).apply(to: document)
            for pointer in pointers {
                if let value = pointer.resolve(in: document) {
                    #expect(pointer.resolve(in: projected) == value, "\(pointer) in \(document) -> \(projected)")
                }
            }
        }
    }

    @Test func projectionRevealsNothingUnselected() async {
        await propertyCheck(count: 500, input: RandomJSON.case_) { input in
            let (document, pointers) = input
            let projected = FieldProjection(pointers).apply(to: document)
            // Every value in the projection is either a padding null in an array, a container on
            // the way to a selected value, or lies inside a selected value, at the same place as
            // in the source.
            for path in RandomJSON.paths(projected) {
                let here = JSONPointer(tokens: path)
                let value = here.resolve(in: projected)!
                let selected = pointers.contains { Array(path.prefix($0.tokens.count)) == $0.tokens && $0.tokens.count <= path.count }
                let onTheWay = pointers.contains { $0.tokens.count > path.count && Array($0.tokens.prefix(path.count)) == path }
                if selected {
                    #expect(here.resolve(in: document) == value)
                } else if !onTheWay {
                    #expect(value == .null, "unselected \(here) = \(value) in \(projected)")
                }
            }
        }
    }

    @Test func projectionIsIdempotent() async {
        await propertyCheck(count: 300, input: RandomJSON.case_) { input in
            let projection = FieldProjection(input.1)
            let once = projection.apply(to: input.0)
            // Padding nulls are selected values' places; projecting again keeps the same shape.
            #expect(projection.apply(to: once) == once)
        }
    }

    /// A pattern `{"data":{"k":[{"numeric":[op, bound]}]}}` agrees with direct comparison.
    @Test func numericMatchingAgreesWithComparison() async throws {
        let ops = [">", ">=", "<", "<=", "="]
        await propertyCheck(count: 300, input: Gen.int(in: -50...50), Gen.int(in: -50...50), Gen.int(in: 0...4)) { value, bound, opIndex in
            let op = ops[opIndex]
            let pattern = try Fixture.pattern(#"{"data":{"k":[{"numeric":["\#(op)",\#(bound)]}]}}"#)
            let data = try JSONValue.parse(#"{"k":\#(value)}"#)
            let expected = switch op {
            case ">": value > bound
            case ">=": value >= bound
            case "<": value < bound
            case "<=": value <= bound
            default: value == bound
            }
            #expect(pattern.matches(Fixture.event(), data: data) == expected)
        }
    }

    /// `prefix`, `suffix`, `anything-but` and exact matching agree with the string operations.
    @Test func stringMatchingAgreesWithStringOperations() async throws {
        let text = Gen.element(of: Array<Character>(["a", "b", "é", "-"])).map { $0! }.string(of: 0...4)
        await propertyCheck(count: 300, input: text, text.filter { !$0.isEmpty }) { value, probe in
            func check(_ op: String, _ expected: Bool) throws {
                let pattern = try Fixture.pattern(#"{"data":{"k":[\#(op)]}}"#)
                let data = JSONValue.object(["k": .string(value)])
                #expect(pattern.matches(Fixture.event(), data: data) == expected, "\(op) on \(value)")
            }
            try check(#"{"prefix":"\#(probe)"}"#, value.hasPrefix(probe))
            try check(#"{"suffix":"\#(probe)"}"#, value.hasSuffix(probe))
            try check(#""\#(probe)""#, value == probe)
            try check(#"{"anything-but":"\#(probe)"}"#, value != probe)
            try check(#"{"anything-but":{"prefix":"\#(probe)"}}"#, !value.hasPrefix(probe))
        }
    }

    /// A topic pattern matches exactly the topics its tokens describe.
    @Test func topicMatchingAgreesWithTokenRules() async {
        let token = Gen.element(of: ["a", "b", "c"]).map { $0! }
        let patternToken = Gen.element(of: ["a", "b", "*"]).map { $0! }
        await propertyCheck(count: 500, input: token.array(of: 1...4), patternToken.array(of: 1...4), Gen.bool) { topicTokens, patternTokens, endsOpen in
            let patternText = (patternTokens + (endsOpen ? [">"] : [])).joined(separator: ".")
            let pattern = TopicPattern(patternText)!
            let topic = Topic(topicTokens.joined(separator: "."))!
            var expected = endsOpen ? topicTokens.count > patternTokens.count : topicTokens.count == patternTokens.count
            if expected {
                for (index, token) in patternTokens.enumerated() where token != "*" && token != topicTokens[index] {
                    expected = false
                }
            }
            #expect(pattern.matches(topic) == expected, "\(patternText) vs \(topic)")
        }
    }
}
