import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import ExchangeWire
import Foundation
import NIOHTTP1

/// `exchangectl publish`: publish structured CloudEvents from a file, a JSON array or NDJSON on
/// standard input.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish CloudEvents to the exchange.",
        discussion: """
            FILE is one structured-mode CloudEvent (JSON); `-` reads NDJSON (one event a line) from \
            standard input; --batch reads a JSON array of events. Events go to --topic, or each to \
            its own `topic` attribute, in batches of up to --batch-size consecutive events of one \
            topic. Prints, per event, what the exchange did with it: `ID: stored as sequence N, \
            routed to R consumers`, or `ID: duplicate of sequence N: already published, nothing \
            stored` when the exchange had the same id from this department before. --json prints \
            one JSON object per event instead (id, sequence, duplicate, routes), the summary on \
            standard error.

            Example, against `make run`:
              exchangectl publish --department market-regulation \\
                --topic licence.business.issued Config/events/licence-issued.json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic (default: each event's `topic` attribute).")
    var topic: String?

    @Option(name: .customLong("batch"), help: ArgumentHelp("A file holding a JSON array of events.", valueName: "file"))
    var batchFile: String?

    @Option(help: "The most events per request.")
    var batchSize = 100

    @Flag(help: "Print only a summary.")
    var quiet = false

    @Flag(help: "Print one JSON object per event (id, sequence, duplicate, routes).")
    var json = false

    @Argument(help: "An event file, or - for NDJSON on standard input.")
    var file: String?

    func validate() throws {
        guard (file == nil) != (batchFile == nil) else {
            throw ValidationError("give an event FILE, - for NDJSON on standard input, or --batch FILE")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let topic, Topic(topic) == nil { throw ValidationError("--topic \(topic): not a topic") }
    }

    func run() async throws {
        try await reportingFailures {
            let client = try ExchangeClient(try connection.resolve())
            do {
                var publisher = Publisher(client: client, topic: topic, batchSize: batchSize, quiet: quiet, json: json)
                try await publish(with: &publisher)
                try await publisher.flush()
                await client.shutdown()
                if quiet || publisher.published != 1 || publisher.requests != 1 {
                    let summary =
                        "published \(publisher.published) event\(publisher.published == 1 ? "" : "s") (\(publisher.duplicates) duplicate\(publisher.duplicates == 1 ? "" : "s")) in \(publisher.requests) request\(publisher.requests == 1 ? "" : "s")"
                    if json { printError(summary) } else { print(summary) }
                }
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func publish(with publisher: inout Publisher) async throws {
        if let batchFile {
            let events = try EventInput.array(try EventInput.contents(of: batchFile), source: batchFile)
            for (index, event) in events.enumerated() {
                try await publisher.add(event, location: "\(batchFile) [\(index)]")
            }
        } else if file == "-" {
            var line = 0
            while let text = readLine(strippingNewline: true) {
                line += 1
                if text.allSatisfy(\.isWhitespace) { continue }
                try await publisher.add(try EventInput.event(Array(text.utf8), source: "standard input line \(line)"), location: "line \(line)")
            }
        } else if let file {
            try await publisher.add(try EventInput.event(try EventInput.contents(of: file), source: file), location: file)
        }
    }
}

/// Reading events from files and lines.
enum EventInput {
    static func contents(of path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ClientFailure("\(path): cannot read the file") }
        return Array(data)
    }

    /// One event: a JSON object.
    static func event(_ bytes: [UInt8], source: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw ClientFailure("\(source): not JSON: \(error)")
        }
        guard case .object = value else { throw ClientFailure("\(source): a CloudEvent must be a JSON object") }
        return value
    }

    /// A JSON array of events.
    static func array(_ bytes: [UInt8], source: String) throws -> [JSONValue] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw ClientFailure("\(source): not JSON: \(error)")
        }
        guard case .array(let events) = value else { throw ClientFailure("\(source): --batch expects a JSON array of events") }
        for (index, event) in events.enumerated() {
            guard case .object = event else { throw ClientFailure("\(source) [\(index)]: a CloudEvent must be a JSON object") }
        }
        return events
    }
}

/// Groups events into batch requests of one topic and prints the outcomes.
struct Publisher {
    let client: ExchangeClient
    let topic: String?
    let batchSize: Int
    let quiet: Bool
    let json: Bool

    private(set) var published = 0
    private(set) var duplicates = 0
    private(set) var requests = 0
    private var pending: [JSONValue] = []
    private var pendingTopic = ""

    init(client: ExchangeClient, topic: String?, batchSize: Int, quiet: Bool, json: Bool = false) {
        self.client = client
        self.topic = topic
        self.batchSize = batchSize
        self.quiet = quiet
        self.json = json
    }

    /// Queues an event, sending the queue first when the event's topic differs or it is full.
    mutating func add(_ event: JSONValue, location: String) async throws {
        guard let eventTopic = topic ?? event["topic"]?.stringValue, !eventTopic.isEmpty else {
            throw ClientFailure("\(location): no topic: give --topic or a `topic` attribute")
        }
        if !pending.isEmpty && (eventTopic != pendingTopic || pending.count >= batchSize) {
            try await flush()
        }
        pendingTopic = eventTopic
        pending.append(event)
    }

    /// Sends what is queued: one event in structured mode, more in batch mode.
    mutating func flush() async throws {
        guard !pending.isEmpty else { return }
        let path = "/v1/topics/\(pendingTopic)/events"
        let results: [PublishResult]
        if pending.count == 1 {
            let request = client.request(.POST, path, contentType: "application/cloudevents+json", body: pending[0].serialized())
            results = [try await client.sendJSON(request, as: PublishResult.self)]
        } else {
            let request = client.request(.POST, path, contentType: "application/cloudevents-batch+json", body: JSONValue.array(pending).serialized())
            results = try await client.sendJSON(request, as: PublishBatchResult.self).results
        }
        requests += 1
        pending.removeAll(keepingCapacity: true)
        for result in results {
            published += 1
            if result.duplicate { duplicates += 1 }
            if json {
                print(result.jsonLine)
            } else if !quiet {
                print(result.line)
            }
        }
    }
}

/// The exchange's answer to one published event.
struct PublishResult: Decodable {
    var id: String
    var sequence: UInt64
    var duplicate: Bool
    var routes: Int

    /// What the exchange did with the event, in words.
    var line: String {
        if duplicate {
            return "\(id): duplicate of sequence \(sequence): already published, nothing stored"
        }
        return "\(id): stored as sequence \(sequence), routed to \(routes) consumer\(routes == 1 ? "" : "s")"
    }

    /// The result as one JSON object: `{"id":…,"sequence":…,"duplicate":…,"routes":…}`.
    var jsonLine: String {
        let value = JSONValue.object(
            JSONObject([
                .init(key: "id", value: .string(id)), .init(key: "sequence", value: .whole(sequence)),
                .init(key: "duplicate", value: .bool(duplicate)), .init(key: "routes", value: .whole(UInt64(routes))),
            ])
        )
        return String(decoding: value.serialized(), as: UTF8.self)
    }
}

/// The exchange's answer to a batch.
struct PublishBatchResult: Decodable {
    var results: [PublishResult]
}
