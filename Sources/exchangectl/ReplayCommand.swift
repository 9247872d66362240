import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import Foundation
import NIOCore
import NIOHTTP1

/// `exchangectl replay`: stream stored events as NDJSON.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay stored events as NDJSON, without touching subscriptions.",
        discussion: """
            A department replays what was routed to it (projected as on delivery); an auditor \
            token replays everything. The events are written as the exchange sends them, one JSON \
            object a line, to standard output or --out, in bounded memory. Progress (events so far, \
            and how far through the log) goes to standard error every half second when it is a \
            terminal, or with --progress. When the exchange's bulk-read slots are all taken (503 \
            replay.busy) or the caller reads faster than it allows (429 reads.rate_limited), the \
            replay is tried again after the wait the exchange asks (Retry-After, \
            at most 60 s), up to --attempts times, with a line on standard error before each wait.

            Example, against `make run`:
              exchangectl replay --department tax-bureau \\
                --topic 'licence.business.>' --out licences.ndjson
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only topics matching this pattern.")
    var topic: String?

    @Option(help: "The first sequence.")
    var fromSeq: UInt64?

    @Option(help: "Only events received at or after this RFC 3339 time.")
    var fromTime: String?

    @Option(help: "Only events received at or before this RFC 3339 time.")
    var until: String?

    @Option(help: "The most events.")
    var limit: Int?

    @Option(help: "Write the events to this file instead of standard output.")
    var out: String?

    @Flag(help: "Report progress on standard error even when it is not a terminal.")
    var progress = false

    @Option(help: "The most tries while the exchange answers 503 replay.busy or 429 reads.rate_limited (1-20).")
    var attempts = 5

    @Option(help: "An archive directory (retention.archive_directory): its events of the range are merged in sequence order with the live store's.")
    var archive: String?

    func validate() throws {
        if let topic, TopicPattern(topic) == nil { throw ValidationError("--topic \(topic): not a topic pattern") }
        for (name, value) in [("--from-time", fromTime), ("--until", until)] {
            if let value, RFC3339.parse(value) == nil { throw ValidationError("\(name) \(value): not an RFC 3339 time") }
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if !(1...20).contains(attempts) { throw ValidationError("--attempts must be from 1 to 20") }
    }

    /// The query parameters of `GET /v1/replay`.
    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let topic { query.append(("topic", topic)) }
        if let fromSeq { query.append(("from_seq", String(fromSeq))) }
        if let fromTime { query.append(("from_time", fromTime)) }
        if let until { query.append(("until", until)) }
        if let limit { query.append(("limit", String(limit))) }
        return query
    }

    func run() async throws {
        try await reportingFailures {
            let client = try ExchangeClient(try connection.resolve())
            do {
                try await replay(client)
                await client.shutdown()
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }

    func replay(_ client: ExchangeClient) async throws {
        var archived = try archive.map { directory in
            try ArchiveReplay(
                directory: directory, pattern: topic.flatMap(TopicPattern.init), fromSequence: fromSeq ?? 0, fromTime: fromTime.flatMap(RFC3339.parse),
                until: until.flatMap(RFC3339.parse))
        }
        let response = try await client.startBulkRead({ client.request(.GET, "/v1/replay", query: query) }, attempts: attempts)
        let target = response.headers.first(name: "exchange-last-sequence").flatMap(UInt64.init)
        if let expired = response.headers.first(name: "exchange-expired") {
            if let warning = Self.expiredWarning(expired, topic: topic, archivedThrough: archived?.archivedThrough) {
                FileHandle.standardError.write(Data((warning + "\n").utf8))
            }
        }
        var scanner = EventStreamScanner()
        var firstSequence: UInt64?
        var merge = LiveMerge(limit: limit)
        try await NDJSONDownload(out: out, progress: progress).stream(
            response.body,
            write: { chunk, output in
                if archived != nil {
                    try merge.add(chunk.readableBytesView, archive: &archived!, output: output)
                } else {
                    output.write(Data(chunk.readableBytesView))
                }
                scanner.scan(chunk.readableBytesView)
                if firstSequence == nil, let sequence = scanner.lastSequence { firstSequence = fromSeq.map { Swift.min($0, sequence) } ?? sequence }
            },
            finish: { output in
                if archived != nil { try merge.finish(archive: &archived!, output: output) }
            },
            status: { ReplayProgress.line(events: scanner.events, lastSequence: scanner.lastSequence, firstSequence: firstSequence, target: target) })
    }

    /// The warning for the `exchange-expired: FIRST-LAST` of a replay, or `nil` when the archive
    /// holds the removed events: `topic` names one topic (no wildcard) whose archive reaches LAST.
    static func expiredWarning(_ expired: String, topic: String?, archivedThrough: [String: UInt64]?) -> String? {
        let plain = "warning: event.expired: events \(expired) of this range were removed by retention; their audit entries remain (exchangectl audit replay)"
        guard let archivedThrough else { return plain }
        let last = expired.split(separator: "-").last.flatMap { UInt64($0) } ?? .max
        if let topic, Topic.validationError(topic) == nil, let through = archivedThrough[topic], through >= last { return nil }
        let held = archivedThrough.sorted { $0.key < $1.key }.map { "\($0.key) through \($0.value)" }.joined(separator: ", ")
        return "warning: event.expired: events \(expired) of this range were removed by retention; the archive holds "
            + (held.isEmpty ? "none of this range" : held) + "; check that it covers every topic of the range"
    }
}

/// Merges a live replay's lines with the archive's, in sequence order: each live line is
/// preceded by the archived events below its sequence, and a live event the archive also holds
/// (archived, not yet removed) is written once.
struct LiveMerge {
    let limit: Int?
    private var pending: [UInt8] = []
    private var written = 0

    init(limit: Int?) { self.limit = limit }

    private var full: Bool { limit.map { written >= $0 } ?? false }

    mutating func add(_ chunk: some Collection<UInt8>, archive: inout ArchiveReplay, output: FileHandle) throws {
        pending.append(contentsOf: chunk)
        var start = 0
        var out: [UInt8] = []
        while !full, let end = pending[start...].firstIndex(of: 0x0A) {
            let line = pending[start..<end]
            start = end + 1
            guard let identity = ArchiveReplay.identity(of: line) else {
                out.append(contentsOf: line)
                out.append(0x0A)
                written += 1
                continue
            }
            if let through = archive.archivedThrough[identity.topic], identity.sequence <= through { continue }
            while !full, let archived = try archive.next(below: identity.sequence) {
                out.append(contentsOf: archived)
                out.append(0x0A)
                written += 1
            }
            guard !full else { break }
            out.append(contentsOf: line)
            out.append(0x0A)
            written += 1
        }
        pending.removeFirst(full ? pending.count : start)
        if !out.isEmpty { output.write(Data(out)) }
    }

    mutating func finish(archive: inout ArchiveReplay, output: FileHandle) throws {
        var out: [UInt8] = []
        while !full, let archived = try archive.next() {
            out.append(contentsOf: archived)
            out.append(0x0A)
            written += 1
        }
        if !out.isEmpty { output.write(Data(out)) }
    }
}
