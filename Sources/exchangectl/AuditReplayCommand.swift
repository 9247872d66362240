import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import Foundation
import NIOCore
import NIOHTTP1

/// `exchangectl audit replay`: the audit log's story of the exchanged events, as NDJSON, for
/// auditors who script.
struct AuditReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Stream what the audit log says about exchanged events as NDJSON, with the API's filters.",
        discussion: """
            Without --type or --topic: GET /v1/audit/replay, each published event whole with its \
            audit entry ("type":"event"), then its receipts, withholdings and dead letters, and \
            events retention removed as "type":"expired" with their entry and digest. With --type \
            or --topic: GET /v1/audit/events, the matching entries themselves \
            ({"index":I,"entry":{...}}). Filters: --agreement, --for-department, --subject, --from, \
            --until, --start. Lines go to standard output or --out; progress (lines so far, the \
            audit index reached of the log's size when the read began) to standard error every \
            half second when it is a terminal, or with --progress. A busy exchange (503 \
            replay.busy, 429 reads.rate_limited) is tried again up to --attempts times. Needs an auditor token.

            Example:
              exchangectl audit replay --token-file auditor.token --subject 91310000MA1FL0001X
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only entries of this kind (published, acknowledged, withheld, ...); reads entries, not events.")
    var type: String?

    @Option(help: "Only entries whose topic matches this pattern; reads entries, not events.")
    var topic: String?

    @Option(help: "Only events routed under this agreement.")
    var agreement: String?

    @Option(name: .customLong("for-department"), help: "Only events published by, or routed to, this department (the API's `department`; --department picks the client certificate).")
    var forDepartment: String?

    @Option(help: "Only entries about this subject (e.g. a licence number).")
    var subject: String?

    @Option(help: "Only entries at or after this RFC 3339 time.")
    var from: String?

    @Option(help: "Only entries at or before this RFC 3339 time.")
    var until: String?

    @Option(help: "The first audit index to read.")
    var start: UInt64?

    @Option(help: "Write the lines to this file instead of standard output.")
    var out: String?

    @Flag(help: "Report progress on standard error even when it is not a terminal.")
    var progress = false

    @Option(help: "The most tries while the exchange answers 503 replay.busy or 429 reads.rate_limited (1-20).")
    var attempts = 5

    func validate() throws {
        if let topic, TopicPattern(topic) == nil { throw ValidationError("--topic \(topic): not a topic pattern") }
        for (name, value) in [("--from", from), ("--until", until)] {
            if let value, RFC3339.parse(value) == nil { throw ValidationError("\(name) \(value): not an RFC 3339 time") }
        }
        if let subject, subject.isEmpty || subject.count > 256 { throw ValidationError("--subject must be 1 to 256 characters") }
        if !(1...20).contains(attempts) { throw ValidationError("--attempts must be from 1 to 20") }
    }

    /// Entries themselves when filtering by kind or topic, else the events' story.
    var path: String { type != nil || topic != nil ? "/v1/audit/events" : "/v1/audit/replay" }

    /// The query of ``path``.
    var query: [(String, String)] {
        var query: [(String, String)] = []
        if let type { query.append(("type", type)) }
        if let topic { query.append(("topic", topic)) }
        if let agreement { query.append(("agreement", agreement)) }
        if let forDepartment { query.append(("department", forDepartment)) }
        if let subject { query.append(("subject", subject)) }
        if let from { query.append(("from", from)) }
        if let until { query.append(("until", until)) }
        if let start { query.append(("start", String(start))) }
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
        let response = try await client.startBulkRead({ client.request(.GET, path, query: query) }, attempts: attempts)
        let size = response.headers.first(name: "exchange-audit-size").flatMap(UInt64.init)
        var lines = 0
        var lastIndex: UInt64?
        var pending: [UInt8] = []
        try await NDJSONDownload(out: out, progress: progress).stream(
            response.body,
            write: { chunk, output in
                output.write(Data(chunk.readableBytesView))
                // Count whole lines and remember the last one's index, without parsing the rest.
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: 0x0A) {
                    lines += 1
                    let prefix = Array(#"{"index":"#.utf8)
                    if pending.starts(with: prefix) {
                        let digits = pending[prefix.count..<newline].prefix { (0x30...0x39).contains($0) }
                        lastIndex = UInt64(String(decoding: digits, as: UTF8.self))
                    }
                    pending.removeSubrange(...newline)
                }
            },
            status: {
                let reached = lastIndex.map { " (audit index \($0)\(size.map { " of \($0)" } ?? ""))" } ?? ""
                return "\(lines) lines\(reached)"
            })
    }
}
