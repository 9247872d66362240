import ExchangeModel

/// `JSONSchema`: a schema built from the first part validates the second part, twice with the
/// same answer.
enum JSONSchemaTarget {
    static func run(_ input: FuzzInput) {
        let parts = input.parts(2)
        guard let source = try? JSONValue.parse(parts[0]), let schema = try? JSONSchema(source) else { return }
        let instance = (try? JSONValue.parse(parts[1])) ?? .string(String(decoding: parts[1], as: UTF8.self))
        let violation = schema.validate(instance)
        require(schema.validate(instance) == violation, "validation is not deterministic")
        _ = schema.validate(source)
    }
}
