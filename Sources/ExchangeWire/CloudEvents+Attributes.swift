import ExchangeModel
import Foundation

/// The context attributes of one event while it is being read, before validation.
struct EventAttributes {
    var specVersion: String?
    var id: String?
    var type: String?
    var subject: String?
    var time: String?
    var dataContentType: String?
    var dataSchema: String?
    var topic: String?
    var extensions: [String: String] = [:]
    /// Known members already read, one bit each (see `bit(for:)`), to refuse duplicates without
    /// allocating a set per event.
    private var seenKnown: UInt16 = 0

    /// Where an error happened, prefixed to the detail: "" or "event 3: ".
    var location = ""

    func problem(_ code: ProblemCode, _ detail: String) -> ProblemError {
        ProblemError(code, detail: location + detail)
    }

    private static func bit(for name: String) -> UInt16? {
        switch name {
        case "specversion": 1 << 0
        case "id": 1 << 1
        case "type": 1 << 2
        case "source": 1 << 3
        case "subject": 1 << 4
        case "time": 1 << 5
        case "datacontenttype": 1 << 6
        case "dataschema": 1 << 7
        case "topic": 1 << 8
        case "data": 1 << 9
        case "data_base64": 1 << 10
        default: nil
        }
    }

    /// Whether `name` is one of the attributes defined by the spec or the exchange (not an extension).
    static func isKnown(_ name: String) -> Bool { bit(for: name) != nil }

    /// Notes that member `name` was read; refuses a member that appears twice.
    mutating func markSeen(_ name: String) throws(ProblemError) {
        if let bit = Self.bit(for: name) {
            guard seenKnown & bit == 0 else { throw problem(.invalidAttribute, "attribute \"\(name)\" appears twice") }
            seenKnown |= bit
        } else if extensions[name] != nil {
            throw problem(.invalidAttribute, "attribute \"\(name)\" appears twice")
        }
    }

    /// Records one attribute by name; `value` `nil` is an explicit JSON `null` (treated as absent).
    mutating func set(_ name: String, _ value: String?) throws(ProblemError) {
        try markSeen(name)
        guard let value else { return }
        switch name {
        case "specversion": specVersion = value
        case "id": id = value
        case "type": type = value
        case "source": break  // set by the exchange from the authenticated identity
        case "subject": subject = value
        case "time": time = value
        case "datacontenttype": dataContentType = value
        case "dataschema": dataSchema = value
        case "topic": topic = value
        case "data", "data_base64":
            // Only a binary-mode header can name these here (the structured reader takes the
            // members itself): an extension by that name would collide with the event's data.
            throw problem(.invalidAttribute, "\"\(name)\" is the event's data, not a context attribute; in binary mode the data is the request body")
        default:
            guard CloudEvents.isValidAttributeName(name) else {
                throw problem(.invalidAttribute, "attribute name \"\(name)\" must be 1 to 20 lower-case letters or digits")
            }
            guard !CloudEvents.reservedAttributes.contains(name) else {
                throw problem(.invalidAttribute, "attribute \"\(name)\" is set by the exchange")
            }
            extensions[name] = value
        }
    }

    /// Refuses an attribute value holding U+0000-U+001F or U+007F-U+009F, which CloudEvents 1.0
    /// (type system, String) does not allow. Checked once the whole event is read, so that
    /// malformed JSON later in the event is reported as such.
    func refuseControlCharacters() throws(ProblemError) {
        try refuseControlCharacters("specversion", specVersion)
        try refuseControlCharacters("id", id)
        try refuseControlCharacters("type", type)
        try refuseControlCharacters("subject", subject)
        try refuseControlCharacters("time", time)
        try refuseControlCharacters("datacontenttype", dataContentType)
        try refuseControlCharacters("dataschema", dataSchema)
        try refuseControlCharacters("topic", topic)
        for (name, value) in extensions { try refuseControlCharacters(name, value) }
    }

    private func refuseControlCharacters(_ name: String, _ value: String?) throws(ProblemError) {
        guard let value, let offset = CloudEvents.controlCharacterOffset(in: value) else { return }
        throw problem(
            .invalidAttribute,
            "attribute \"\(name)\" holds a control character (U+0000-U+001F, U+007F-U+009F) at character \(offset); CloudEvents String values must not")
    }

    /// Checks the attributes and builds the envelope.
    func envelope(data: [UInt8], options: CloudEventsOptions) throws(ProblemError) -> Envelope {
        try refuseControlCharacters()
        // The route's topic becomes the event's `topic` attribute when the event names none.
        try refuseControlCharacters("topic", options.topic)
        guard let specVersion else { throw problem(.missingAttribute, "attribute \"specversion\" is required") }
        guard specVersion == CloudEvents.specVersion else {
            throw problem(.unsupportedSpecVersion, "specversion \"\(specVersion)\" is not supported; use \"1.0\"")
        }
        guard let id, !id.isEmpty else { throw problem(.missingAttribute, "attribute \"id\" is required and must not be empty") }
        guard let type, !type.isEmpty else { throw problem(.missingAttribute, "attribute \"type\" is required and must not be empty") }
        guard id.utf8.count <= InputBounds.maxMessageIDBytes else {
            throw problem(.invalidAttribute, "attribute \"id\" is \(id.utf8.count) bytes long; at most \(InputBounds.maxMessageIDBytes) are allowed")
        }
        guard type.utf8.count <= InputBounds.maxTypeBytes else {
            throw problem(.invalidAttribute, "attribute \"type\" is \(type.utf8.count) bytes long; at most \(InputBounds.maxTypeBytes) are allowed")
        }
        if let time, !RFC3339.isTimestamp(time) || RFC3339.parse(time) == nil {
            throw problem(
                .invalidAttribute,
                RFC3339.isTimestamp(time)
                    ? "attribute \"time\" lies outside \(RFC3339.rangeDescription)"
                    : "attribute \"time\" is not an RFC 3339 timestamp (YYYY-MM-DDThh:mm:ss with Z or an offset)")
        }
        if let dataSchema, dataSchema.isEmpty {
            throw problem(.invalidAttribute, "attribute \"dataschema\" must not be empty")
        }
        if let subject, subject.isEmpty {
            throw problem(.invalidAttribute, "attribute \"subject\" must not be empty")
        }
        if let subject, subject.utf8.count > InputBounds.maxSubjectBytes {
            throw problem(
                .invalidAttribute, "attribute \"subject\" is \(subject.utf8.count) bytes long; at most \(InputBounds.maxSubjectBytes) are allowed")
        }
        let resolvedTopic: String
        switch (options.topic, topic) {
        case (let route?, let own?):
            guard route == own else {
                throw problem(.invalidAttribute, "attribute \"topic\" is \"\(own)\" but the request is for topic \"\(route)\"")
            }
            resolvedTopic = route
        case (let route?, nil): resolvedTopic = route
        case (nil, let own?): resolvedTopic = own
        case (nil, nil): throw problem(.missingAttribute, "attribute \"topic\" is required")
        }
        guard !resolvedTopic.isEmpty else { throw problem(.missingAttribute, "attribute \"topic\" must not be empty") }
        return Envelope(
            id: id, source: options.source, type: type, topic: resolvedTopic, subject: subject, time: time,
            dataContentType: dataContentType, dataSchema: dataSchema, extensions: extensions, data: data)
    }
}
