package import ExchangeEngine

extension JSONWriter {
    /// Writes the members of a publish result (`PublishResult` in docs/openapi.yaml) into the
    /// object being written: `id`, `sequence`, `duplicate`, `routes`.
    package mutating func members(of outcome: PublishOutcome) {
        member("id", string: outcome.id)
        member("sequence", unsigned: outcome.sequence)
        member("duplicate", raw: outcome.isDuplicate ? Self.trueBytes : Self.falseBytes)
        member("routes", integer: outcome.routeCount)
    }

    /// `"results": [{...}, ...]`, one publish result per event, in order.
    package mutating func results(_ outcomes: [PublishOutcome]) {
        key("results")
        beginArray()
        for outcome in outcomes {
            beginObject()
            members(of: outcome)
            endObject()
        }
        endArray()
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
}
