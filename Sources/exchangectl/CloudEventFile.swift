import ExchangeModel
import Foundation

/// Reads a structured-mode CloudEvent (`application/cloudevents+json`) from a file.
enum CloudEventFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static let contextAttributes: Set<String> = [
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "data_base64", "topic",
    ]

    static func read(_ path: String) throws -> Envelope {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "cannot read the file")
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(Array(bytes))
        } catch {
            throw Problem(description: "not JSON: \(error)")
        }
        guard case .object(let object) = json else {
            throw Problem(description: "a structured-mode CloudEvent must be a JSON object")
        }
        func text(_ name: String, required: Bool = false) throws -> String? {
            guard let value = object[name] else {
                if required { throw Problem(description: "missing attribute '\(name)'") }
                return nil
            }
            guard case .string(let string) = value else {
                throw Problem(description: "attribute '\(name)' must be a string")
            }
            return string
        }
        var extensions: [String: String] = [:]
        for member in object.members where !contextAttributes.contains(member.key) {
            switch member.value {
            case .string(let string): extensions[member.key] = string
            case .number(let number): extensions[member.key] = number.text
            case .bool(let flag): extensions[member.key] = flag ? "true" : "false"
            default: throw Problem(description: "extension attribute '\(member.key)' must be a string, number or boolean")
            }
        }
        var data: [UInt8] = []
        if let value = object["data"] {
            if case .string(let string) = value, let type = try text("datacontenttype"), !type.contains("json") {
                data = Array(string.utf8)
            } else {
                data = value.serialized()
            }
        } else if let base64 = try text("data_base64") {
            guard let decoded = Data(base64Encoded: base64) else {
                throw Problem(description: "data_base64 is not valid base64")
            }
            data = Array(decoded)
        }
        return Envelope(
            id: try text("id", required: true)!, source: try text("source") ?? "", type: try text("type", required: true)!,
            topic: try text("topic", required: true)!, subject: try text("subject"), time: try text("time"),
            dataContentType: try text("datacontenttype") ?? "application/json", dataSchema: try text("dataschema"),
            extensions: extensions, data: data)
    }
}
