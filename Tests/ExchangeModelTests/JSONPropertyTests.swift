import ExchangeModel
import PropertyBased
import Testing

/// Random JSON documents for property tests.
enum JSONGen {
    static func value(depth: Int, using rng: inout any SeededRandomNumberGenerator) -> JSONValue {
        let kind = Int.random(in: 0..<(depth > 0 ? 7 : 5), using: &rng)
        switch kind {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let texts = ["0", "-1", "12", "3.25", "-0.5", "1e3", "2E-2", "123456789012345678901234567890"]
            return .number(JSONNumber(texts[Int.random(in: 0..<texts.count, using: &rng)])!)
        case 3, 4: return .string(string(using: &rng))
        case 5:
            let count = Int.random(in: 0...4, using: &rng)
            return .array((0..<count).map { _ in value(depth: depth - 1, using: &rng) })
        default:
            let count = Int.random(in: 0...4, using: &rng)
            var members: [JSONObject.Member] = []
            for _ in 0..<count {
                let key = string(using: &rng)
                if members.contains(where: { $0.key == key }) { continue }
                members.append(.init(key: key, value: value(depth: depth - 1, using: &rng)))
            }
            return .object(JSONObject(members))
        }
    }

    static func string(using rng: inout any SeededRandomNumberGenerator) -> String {
        let alphabet: [Character] = ["a", "b", "z", "0", "/", "~", "\"", "\\", "\n", "\u{01}", "é", "😀", " ", "."]
        let count = Int.random(in: 0...5, using: &rng)
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    static let document = Generator<JSONValue, Shrink.None<JSONValue>> { rng in
        value(depth: 4, using: &rng)
    }
}

@Suite struct JSONPropertyTests {
    @Test func serializationRoundTrips() async {
        await propertyCheck(count: 300, input: JSONGen.document) { value throws in
            let bytes = value.serialized()
            #expect(try JSONValue.parse(bytes) == value)
            #expect(try JSONValue.parse(bytes).serialized() == bytes)
        }
    }

    @Test func pointerTextRoundTrips() async {
        await propertyCheck(input: Gen.ascii.string(of: 0...5).array(of: 0...4)) { tokens throws in
            let pointer = JSONPointer(tokens: tokens)
            #expect(try JSONPointer(pointer.description) == pointer)
        }
    }

    @Test func everyMemberPathResolves() async {
        await propertyCheck(input: JSONGen.document) { value throws in
            for (pointer, expected) in JSONGen.leaves(of: value, at: []) {
                #expect(JSONPointer(tokens: pointer).resolve(in: value) == expected)
            }
        }
    }
}

extension JSONGen {
    /// Every value in `value` with the tokens of its path.
    static func leaves(of value: JSONValue, at path: [String]) -> [([String], JSONValue)] {
        var result = [(path, value)]
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                result += leaves(of: element, at: path + [String(index)])
            }
        case .object(let object):
            for member in object.members {
                result += leaves(of: member.value, at: path + [member.key])
            }
        default: break
        }
        return result
    }
}
