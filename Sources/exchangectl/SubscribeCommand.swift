import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import Foundation
import NIOCore
import NIOHTTP1

/// `exchangectl subscribe`: pull a durable subscription's events and print them as NDJSON.
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "Pull events from a subscription, one JSON line each on standard output.",
        discussion: """
            With --create (or --filter) the subscription is first created, or updated, with PUT. \
            Events are then pulled in a loop (long polls of --wait-ms), each printed as one line of \
            JSON and acknowledged after it was printed, unless --no-ack. Stops after --count events \
            or --timeout seconds (a --count not reached by then exits with status 1); otherwise runs \
            until interrupted. Status goes to standard error, with a line `warning: event.expired: \
            ...` for events retention removed before the subscription received them.

            Example, against `make run`:
              exchangectl subscribe --department tax-bureau tax-licences --create \\
                --filter 'licence.business.>' --start all --count 1
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The subscription's name.")
    var name: String

    @Flag(help: "Create or update the subscription before pulling.")
    var create = false

    @Option(help: "The topic pattern (`*` one segment, `>` the rest); implies --create.")
    var filter: String?

    @Option(help: "Where a new subscription starts: all, new (the default), a sequence number or an RFC 3339 time; an existing subscription keeps its position.")
    var start: String?

    @Option(help: "How long a delivery waits for its ack before it is delivered again, milliseconds.")
    var ackWaitMs: UInt64?

    @Option(help: "Deliveries before an event becomes a dead letter.")
    var maxDeliver: UInt32?

    @Option(help: "The most unacknowledged deliveries at once.")
    var maxInFlight: UInt32?

    @Flag(help: "Do not acknowledge events (they are delivered again after the ack wait).")
    var noAck = false

    @Option(help: "Stop after this many events.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var timeout: Double?

    @Option(help: "The most events per pull.")
    var max = 100

    @Option(help: "How long one pull waits for events, milliseconds.")
    var waitMs = 10_000

    func validate() throws {
        if create && filter == nil { throw ValidationError("--create needs --filter") }
        if let filter, TopicPattern(filter) == nil { throw ValidationError("--filter \(filter): not a topic pattern") }
        _ = try SubscriptionStart(start ?? "new")
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be positive") }
        guard (1...10_000).contains(max) else { throw ValidationError("--max must be from 1 to 10000") }
        guard (0...3_600_000).contains(waitMs) else { throw ValidationError("--wait-ms must be from 0 to 3600000") }
    }

    func run() async throws {
        try await reportingFailures {
            let client = try ExchangeClient(try connection.resolve())
            do {
                try await subscribe(client)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    /// The `PUT` body for the subscription.
    func subscriptionBody() throws -> [UInt8] {
        var members: [JSONObject.Member] = [
            .init(key: "filter", value: .string(filter ?? "")),
            .init(key: "start", value: try SubscriptionStart(start ?? "new").json),
        ]
        if let ackWaitMs { members.append(.init(key: "ack_wait_ms", value: .whole(ackWaitMs))) }
        if let maxDeliver { members.append(.init(key: "max_deliver", value: .whole(UInt64(maxDeliver)))) }
        if let maxInFlight { members.append(.init(key: "max_in_flight", value: .whole(UInt64(maxInFlight)))) }
        return JSONValue.object(JSONObject(members)).serialized()
    }

    func subscribe(_ client: ExchangeClient) async throws {
        let path = "/v1/subscriptions/\(name)"
        if filter != nil {
            let request = client.request(.PUT, path, contentType: "application/json", body: try subscriptionBody())
            let (response, body) = try await client.send(request)
            let info = try? JSONDecoder().decode(SubscriptionInfo.self, from: Data(body))
            printError(Self.status(name: name, created: response.status.code == 201, info: info, filter: filter ?? "", start: start))
        }
        printError(
            "waiting for events"
                + (count.map { " until \($0) arrived" } ?? "")
                + (timeout.map { ", at most \(Self.seconds($0))" } ?? " (--timeout SECONDS to stop waiting; Ctrl-C to stop)"))
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + .milliseconds(Int64($0 * 1000)) }
        var received = 0
        let output = FileHandle.standardOutput
        while count.map({ received < $0 }) ?? true {
            var wait = waitMs
            if let deadline {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { break }
                wait = Swift.min(wait, Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            }
            let batch = Swift.min(max, count.map { $0 - received } ?? max)
            let request = client.request(.GET, path + "/events", query: [("max", String(batch)), ("wait", String(wait))])
            let (response, body) = try await client.send(request, timeout: .milliseconds(Int64(wait) + 30_000))
            if let expired = response.headers.first(name: "exchange-expired") {
                printError(Self.expiredWarning(expired, subscription: name))
            }
            let events: [JSONValue]
            do {
                guard case .array(let array) = try JSONValue.parse(body) else { throw ClientFailure("not an array") }
                events = array
            } catch {
                throw ClientFailure("unexpected answer to a pull: \(String(decoding: body.prefix(200), as: UTF8.self))")
            }
            guard !events.isEmpty else { continue }
            var lines: [UInt8] = []
            var sequences: [UInt64] = []
            for event in events {
                event.serialize(into: &lines)
                lines.append(0x0A)
                if let text = event["sequence"]?.stringValue, let sequence = UInt64(text) { sequences.append(sequence) }
            }
            output.write(Data(lines))
            received += events.count
            if !noAck && !sequences.isEmpty {
                let ack = JSONValue.object(JSONObject([.init(key: "sequences", value: .array(sequences.map(JSONValue.whole)))]))
                _ = try await client.send(client.request(.POST, path + "/ack", contentType: "application/json", body: ack.serialized()))
            }
            printError("received \(received) event\(received == 1 ? "" : "s")\(noAck ? "" : ", acknowledged")")
        }
        if let count, received < count {
            throw ClientFailure(code: "subscribe.timeout", detail: "timed out after \(received) of \(count) events")
        }
    }

    /// What the subscription's `PUT` did, said on standard error: created, or found existing,
    /// where it stands, and that `--start` only places a new subscription.
    static func status(name: String, created: Bool, info: SubscriptionInfo?, filter: String, start: String?) -> String {
        let position = info.map { "next sequence \($0.position), \($0.pending) pending" } ?? "position unknown"
        if created {
            return "subscription \(name) created: filter \(info?.filter ?? filter), \(position)"
        }
        var line = "subscription \(name) exists: filter \(info?.filter ?? filter), \(position)"
        if let start {
            line += "; --start \(start) is not applied (it places only a new subscription; delete this one to start over)"
        }
        return line
    }

    /// The warning for a pull's `exchange-expired: FIRST-LAST[, ...]`: events the subscription
    /// would have been handed that retention removed first.
    static func expiredWarning(_ expired: String, subscription: String) -> String {
        "warning: event.expired: events \(expired) were removed by retention before subscription \(subscription) received them; "
            + "their audit entries remain (exchangectl audit replay)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

/// Where a new subscription starts, as given on the command line.
enum SubscriptionStart: Equatable {
    case all, new
    case sequence(UInt64)
    case time(String)

    /// Parses `all`, `new`, a sequence number or an RFC 3339 time.
    init(_ text: String) throws {
        switch text {
        case "all": self = .all
        case "new": self = .new
        default:
            if let sequence = UInt64(text) {
                self = .sequence(sequence)
            } else if RFC3339.parse(text) != nil {
                self = .time(text)
            } else {
                throw ValidationError("--start \(text): expected all, new, a sequence number or an RFC 3339 time")
            }
        }
    }

    /// The `start` member of the subscription body.
    var json: JSONValue {
        switch self {
        case .all: .string("all")
        case .new: .string("new")
        case .sequence(let sequence): .object(JSONObject([.init(key: "sequence", value: .whole(sequence))]))
        case .time(let time): .object(JSONObject([.init(key: "time", value: .string(time))]))
        }
    }
}

/// The parts of the subscription document the command reports.
struct SubscriptionInfo: Decodable {
    var filter: String
    var position: UInt64
    var pending: Int
}

extension JSONValue {
    /// A whole number.
    static func whole(_ value: UInt64) -> JSONValue {
        .number(JSONNumber(String(value))!)
    }
}
