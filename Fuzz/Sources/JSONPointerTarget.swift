import ExchangeModel

/// `JSONPointer`: a pointer that parses writes back to text that parses to the same tokens, and
/// resolves in any document without trapping.
enum JSONPointerTarget {
    static func run(_ input: FuzzInput) {
        let parts = input.parts(2)
        guard let pointer = try? JSONPointer(String(decoding: parts[0], as: UTF8.self)) else { return }
        let reread = try? JSONPointer(pointer.description)
        require(reread == pointer, "\(pointer.description) does not read back as \(pointer.tokens)")
        require(JSONPointer(tokens: pointer.tokens) == pointer, "JSONPointer(tokens:) differs from the parsed pointer")
        for token in pointer.tokens { _ = JSONPointer.arrayIndex(token) }
        if let document = try? JSONValue.parse(parts[1]) {
            _ = pointer.resolve(in: document)
        }
    }
}
