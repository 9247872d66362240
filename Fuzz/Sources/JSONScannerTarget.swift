import ExchangeModel
import ExchangeWire

/// The CloudEvents `JSONScanner` against `JSONValue.parse`: every document the parser accepts
/// (within the scanner's nesting limit) the scanner skips whole, and a string document reads as
/// the same text.
enum JSONScannerTarget {
    static func run(_ input: FuzzInput) {
        let parsed = try? JSONValue.parse(input.bytes)
        input.bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            let skipped: Range<Int>?
            do {
                _ = try scanner.skipValue()
                scanner.skipWhitespace()
                skipped = scanner.isAtEnd ? 0..<buffer.count : nil
            } catch {
                skipped = nil
            }
            if let parsed, depth(of: parsed) <= scanner.maxDepth {
                require(skipped != nil, "the scanner refuses a document JSONValue.parse reads")
            }
            if case .string(let text) = parsed {
                var reader = JSONScanner(buffer)
                let read = try? reader.readString()
                require(read == text, "the scanner reads \(String(describing: read)), JSONValue.parse \(text)")
            }
        }
    }

    /// The nesting depth of arrays and objects in `value`; 0 for a scalar.
    static func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let elements): 1 + (elements.map(depth(of:)).max() ?? 0)
        case .object(let object): 1 + (object.members.map { depth(of: $0.value) }.max() ?? 0)
        default: 0
        }
    }
}
