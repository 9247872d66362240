import ExchangeModel

/// `JSONValue.parse`: what parses serializes to text that parses to the same value, and
/// serializing is stable.
enum JSONTarget {
    static func run(_ input: FuzzInput) {
        guard let value = try? JSONValue.parse(input.bytes) else { return }
        let written = value.serialized()
        let reread: JSONValue
        do {
            reread = try JSONValue.parse(written)
        } catch {
            fatalError("serialized JSON does not parse (\(error)): \(String(decoding: written, as: UTF8.self))")
        }
        require(reread == value, "serialized JSON parses to another value: \(String(decoding: written, as: UTF8.self))")
        require(reread.serialized() == written, "serializing is not stable: \(String(decoding: written, as: UTF8.self))")
    }
}
