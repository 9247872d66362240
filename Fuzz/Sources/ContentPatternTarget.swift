import ExchangeModel
import ExchangeRouting

/// `ContentPattern`: a pattern compiled from the first part is matched against an event written
/// as a JSON object in the second part (its string members are the attributes, `data` the data),
/// twice with the same answer.
enum ContentPatternTarget {
    static func run(_ input: FuzzInput) {
        let parts = input.parts(2)
        guard let source = try? JSONValue.parse(parts[0]), let pattern = try? ContentPattern(source) else { return }
        let event = (try? JSONValue.parse(parts[1])) ?? .object(JSONObject())
        let envelope = envelope(from: event)
        let data = event["data"]
        let matches = pattern.matches(envelope, data: data)
        require(pattern.matches(envelope, data: data) == matches, "matching is not deterministic")
        _ = pattern.matches(envelope, data: nil)
        _ = pattern.matches(envelope, data: source)
    }

    /// An envelope whose attributes are the string members of `event`.
    static func envelope(from event: JSONValue) -> Envelope {
        func text(_ name: String) -> String? { event[name]?.stringValue }
        var extensions: [String: String] = [:]
        if case .object(let object) = event {
            for member in object.members where !known.contains(member.key) {
                if let value = member.value.stringValue { extensions[member.key] = value }
            }
        }
        return Envelope(
            id: text("id") ?? "", source: text("source") ?? "", type: text("type") ?? "", topic: text("topic") ?? "",
            subject: text("subject"), time: text("time"), dataContentType: text("datacontenttype"),
            dataSchema: text("dataschema"), extensions: extensions, data: event["data"]?.serialized() ?? [])
    }

    static let known: Set<String> = ["id", "source", "type", "topic", "subject", "time", "datacontenttype", "dataschema", "data"]
}
