import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import TestSupport
import Testing

/// The client commands of the real `exchangectl` binary: option resolution and how failures are
/// reported, without a daemon (end-to-end publishing and subscribing live with the daemon tests).
@Suite("exchangectl client options")
struct ExchangeCtlClientTests {

    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func locate() throws -> URL {
        try BuiltExecutable.locate("exchangectl")
    }

    static func run(
        _ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:], input: String? = nil
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = try locate()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var variables = ProcessInfo.processInfo.environment
        variables["EXCHANGE_TOKEN"] = nil
        variables.merge(environment) { $1 }
        process.environment = variables
        let output = directory.file("stdout-\(UUID().uuidString)")
        let errors = directory.file("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        if let input {
            let file = try directory.write("stdin-\(UUID().uuidString)", input)
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, standardOutput: try String(contentsOfFile: output, encoding: .utf8),
            standardError: try String(contentsOfFile: errors, encoding: .utf8))
    }

    /// ``run(_:in:environment:input:)`` on a thread of its own, so that waiting for the process
    /// never holds a thread of the pool a stand-in server answers on.
    static func runDetached(_ arguments: [String], in directory: TemporaryDirectory, input: String? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(arguments, in: directory, input: input) })
            }
        }
    }

    /// A directory with an event file and a development PKI layout (the files need only exist
    /// for option resolution).
    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("Config/pki/clients"), withIntermediateDirectories: true)
        for name in ["Config/pki/ca.crt", "Config/pki/clients/tax-bureau.crt", "Config/pki/clients/tax-bureau.key"] {
            _ = try directory.write(name, "not used\n")
        }
        _ = try directory.write(
            "event.json", #"{"specversion":"1.0","id":"e-1","type":"licence.issued","topic":"licence.business.issued"}"#)
        return directory
    }

    /// Every failure is one line `error: <code>: <detail>` on standard error, no usage block.
    static func expectOneErrorLine(_ outcome: Outcome, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(outcome.standardError)", sourceLocation: sourceLocation)
        #expect(lines.first?.hasPrefix("error: \(code): ") == true, "\(outcome.standardError)", sourceLocation: sourceLocation)
        #expect(!outcome.standardError.contains("USAGE"), sourceLocation: sourceLocation)
        #expect(outcome.standardOutput.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func departmentWithoutCertificateIsAUsageError() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["publish", "--department", "nobody", "event.json"], in: directory)
        #expect(outcome.status == 64)
        Self.expectOneErrorLine(outcome, code: "config.missing_file")
        #expect(outcome.standardError.contains("Config/pki/clients/nobody.crt: no such file"))
        #expect(outcome.standardError.contains("exchangectl pki init"))
    }

    @Test func certificateNeedsKey() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["publish", "--cert", "Config/pki/clients/tax-bureau.crt", "event.json"], in: directory)
        #expect(outcome.status == 64)
        Self.expectOneErrorLine(outcome, code: "usage.conflict")
        #expect(outcome.standardError.contains("--cert and --key go together"))
    }

    @Test func certificateAndTokenExcludeEachOther() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--department", "tax-bureau", "--token", "secret"], in: directory)
        #expect(outcome.status == 64)
        Self.expectOneErrorLine(outcome, code: "usage.conflict")
        #expect(outcome.standardError.contains("not both"))
    }

    @Test func publishNeedsOneInput() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let none = try Self.run(["publish", "--department", "tax-bureau"], in: directory)
        #expect(none.status == 64)
        let both = try Self.run(["publish", "--department", "tax-bureau", "--batch", "event.json", "event.json"], in: directory)
        #expect(both.status == 64)
        Self.expectOneErrorLine(both, code: "usage.invalid")
        #expect(both.standardError.contains("--batch FILE"))
    }

    @Test func subscribeChecksStartAndFilter() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let start = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--filter", "licence.>", "--start", "yesterday"], in: directory)
        #expect(start.status == 64)
        #expect(start.standardError.contains("--start yesterday: expected all, new, a sequence number or an RFC 3339 time"))
        let create = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--create"], in: directory)
        #expect(create.status == 64)
        #expect(create.standardError.contains("--create needs --filter"))
        let filter = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--filter", "licence..x"], in: directory)
        #expect(filter.status == 64)
    }

    @Test func replayChecksTimes() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--department", "tax-bureau", "--from-time", "monday"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--from-time monday: not an RFC 3339 time"))
    }

    /// An unreachable exchange is one `error:` line and status 1, nothing on standard output.
    @Test func unreachableExchangeIsOneErrorLine() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--url", "http://127.0.0.1:1", "--token", "secret"], in: directory)
        #expect(outcome.status == 1)
        Self.expectOneErrorLine(outcome, code: "connection.refused")
        #expect(outcome.standardError.contains("http://127.0.0.1:1"))
        #expect(outcome.standardError.contains("is exchanged running?"))
    }

    /// The URL comes from EXCHANGE_URL, then the client configuration file, then the port of
    /// Config/exchange.yaml in the working directory; an option always wins.
    @Test func theURLComesFromTheEnvironmentTheClientConfigurationOrTheDaemonsConfiguration() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        func refusedAt(_ outcome: Outcome) -> String? {
            outcome.standardError.split(separator: " ").first { $0.hasPrefix("http") }.map(String.init)
        }
        // The system's trust roots, not the workspace's stand-in CA file.
        try FileManager.default.removeItem(atPath: directory.file("Config/pki/ca.crt"))
        try FileManager.default.createDirectory(atPath: directory.file("xdg/exchange"), withIntermediateDirectories: true)
        _ = try directory.write("Config/exchange.yaml", "server:\n  host: 0.0.0.0\n  port: 3\n")
        let fromDaemon = try Self.run(["replay", "--token", "secret"], in: directory)
        #expect(refusedAt(fromDaemon) == "https://127.0.0.1:3:")
        _ = try directory.write("client.yaml", "url: https://127.0.0.1:4\n")
        let fromFile = try Self.run(["replay", "--token", "secret", "--client-config", "client.yaml"], in: directory)
        #expect(refusedAt(fromFile) == "https://127.0.0.1:4:")
        let fromDefaultFile = try Self.run(
            ["replay", "--token", "secret"], in: directory, environment: ["XDG_CONFIG_HOME": directory.file("nothing-here")])
        #expect(refusedAt(fromDefaultFile) == "https://127.0.0.1:3:", "no default file yet: the daemon's port")
        _ = try directory.write("xdg/exchange/client.yaml", "url: https://127.0.0.1:6\ntoken_file: token.txt\n")
        _ = try directory.write("xdg/exchange/token.txt", "from-file\n")
        let fromXDG = try Self.run(["replay"], in: directory, environment: ["XDG_CONFIG_HOME": directory.file("xdg")])
        #expect(refusedAt(fromXDG) == "https://127.0.0.1:6:", "\(fromXDG.standardError)")
        let fromEnvironment = try Self.run(
            ["replay", "--token", "secret", "--client-config", "client.yaml"], in: directory, environment: ["EXCHANGE_URL": "https://127.0.0.1:5"])
        #expect(refusedAt(fromEnvironment) == "https://127.0.0.1:5:")
        let fromOption = try Self.run(
            ["replay", "--token", "secret", "--url", "https://127.0.0.1:7"], in: directory, environment: ["EXCHANGE_URL": "https://127.0.0.1:5"])
        #expect(refusedAt(fromOption) == "https://127.0.0.1:7:")
        for outcome in [fromDaemon, fromFile, fromEnvironment, fromOption, fromXDG] {
            Self.expectOneErrorLine(outcome, code: "connection.refused")
        }
        let typo = try directory.write("typo.yaml", "ulr: https://127.0.0.1:4\n")
        let refused = try Self.run(["replay", "--token", "secret", "--client-config", typo], in: directory)
        #expect(refused.status == 64)
        Self.expectOneErrorLine(refused, code: "config.invalid")
        #expect(refused.standardError.contains("ulr"))
    }

    /// The token comes from `EXCHANGE_TOKEN` when `--token` is absent, and a client certificate
    /// then wins over it rather than being refused.
    @Test func tokenFromEnvironmentDoesNotConflictWithCertificate() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(
            ["replay", "--url", "http://127.0.0.1:1", "--department", "tax-bureau"], in: directory, environment: ["EXCHANGE_TOKEN": "secret"])
        // A certificate over plain http is refused: the certificate was taken, not the token.
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("is not https"))
    }

    // MARK: Against a stand-in server

    /// What the stand-in exchange answers to replay: three events, the second with `data` over
    /// several lines and strings that look like a `sequence` member.
    static let replayBody = #"""
        {"id":"a","sequence":"10","data":{"sequence":"99"}}
        {"id":"b","sequence":"20","data":{
        "x":"}{\"sequence\":\"77\"",
        "y":[1,{"z":2}]
        }}
        {"id":"c","subject":"\"sequence\":\"5\"","sequence":"30"}

        """#

    /// A plain-HTTP stand-in for the exchange: replay, and publish that answers results, or a
    /// problem for the event with id `bad`.
    static func standIn() -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("v1/replay") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/x-ndjson", HTTPField.Name("exchange-last-sequence")!: "40"],
                body: .init(byteBuffer: ByteBuffer(string: replayBody)))
        }
        router.post("v1/topics/:topic/events") { request, context in
            let topic = try context.parameters.require("topic")
            let body = try await request.body.collect(upTo: 1 << 20)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
            let events = (json as? [[String: Any]]) ?? [json as? [String: Any] ?? [:]]
            if events.contains(where: { $0["id"] as? String == "bad" }) {
                return Response(
                    status: .forbidden, headers: [.contentType: "application/problem+json"],
                    body: .init(byteBuffer: ByteBuffer(string: #"{"type":"/problems/publish.forbidden","title":"Forbidden","status":403,"detail":"not yours","code":"publish.forbidden"}"#)))
            }
            let results = events.enumerated().map { index, event in
                #"{"id":"\#(event["id"] as? String ?? "")@\#(topic)","sequence":\#(index + 1),"duplicate":\#(index == 1),"routes":2}"#
            }
            let text = json is [Any] ? #"{"results":["# + results.joined(separator: ",") + "]}" : results[0]
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router)
    }

    /// Replay writes the stream byte for byte and reports progress by events, not lines: the
    /// count, the last `sequence` attribute, and the percent of the way to `exchange-last-sequence`.
    @Test func replayStreamsAndReportsProgress() async throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        try await Self.standIn().test(.live) { client in
            let port = try #require(client.port)
            let outcome = try await Self.runDetached(
                ["replay", "--url", "http://127.0.0.1:\(port)", "--token", "t", "--from-seq", "10", "--out", "events.ndjson", "--progress"],
                in: directory)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.isEmpty)
            #expect(try String(contentsOfFile: directory.file("events.ndjson"), encoding: .utf8) == Self.replayBody)
            let last = outcome.standardError.split(separator: "\n").last.map(String.init)
            #expect(last == "replayed 3 events, sequence 30 of 40 (67.7%)")
        }
    }

    /// NDJSON on standard input goes in batches of one topic, one line per event; a problem
    /// stops publishing with one `error: <code>: <detail>` line and status 1.
    @Test func publishPrintsOutcomesAndProblems() async throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        try await Self.standIn().test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let events = [("e1", "a.b"), ("e2", "a.b"), ("e3", "c.d")].map { id, topic in
                #"{"specversion":"1.0","id":"\#(id)","type":"t","topic":"\#(topic)"}"#
            }
            let published = try await Self.runDetached(["publish", "--url", url, "--token", "t", "-"], in: directory, input: events.joined(separator: "\n") + "\n")
            #expect(published.status == 0, "\(published.standardError)")
            #expect(
                published.standardOutput == """
                    e1@a.b: stored as sequence 1, routed to 2 consumers
                    e2@a.b: duplicate of sequence 2: already published, nothing stored
                    e3@c.d: stored as sequence 1, routed to 2 consumers
                    published 3 events (1 duplicate) in 2 requests

                    """)
            let json = try await Self.runDetached(["publish", "--url", url, "--token", "t", "--json", "-"], in: directory, input: events.joined(separator: "\n"))
            #expect(
                json.standardOutput == """
                    {"id":"e1@a.b","sequence":1,"duplicate":false,"routes":2}
                    {"id":"e2@a.b","sequence":2,"duplicate":true,"routes":2}
                    {"id":"e3@c.d","sequence":1,"duplicate":false,"routes":2}

                    """)
            #expect(json.standardError == "published 3 events (1 duplicate) in 2 requests\n")
            let quiet = try await Self.runDetached(["publish", "--url", url, "--token", "t", "--quiet", "--topic", "x.y", "-"], in: directory, input: events.joined(separator: "\n"))
            #expect(quiet.standardOutput == "published 3 events (1 duplicate) in 1 request\n")

            _ = try directory.write("bad.json", #"{"specversion":"1.0","id":"bad","type":"t","topic":"a.b"}"#)
            let refused = try await Self.runDetached(["publish", "--url", url, "--token", "t", "bad.json"], in: directory)
            #expect(refused.status == 1)
            #expect(refused.standardOutput.isEmpty)
            #expect(refused.standardError == "error: publish.forbidden: not yours\n")
        }
    }

    /// Subscribe creates the subscription, prints each pulled event as one line of JSON (even
    /// when its data spans lines), acknowledges what it printed, and stops at `--count`.
    @Test func subscribePrintsLinesAndAcknowledges() async throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let requests = Mutex<[String]>([])
        let router = Router()
        router.put("v1/subscriptions/:name") { request, context in
            let body = try await request.body.collect(upTo: 1 << 16)
            requests.withLock { $0.append("PUT " + String(buffer: body)) }
            // `existing` was created before: 200 with where it stands.
            let existing = context.parameters.get("name") == "existing"
            return Response(
                status: existing ? .ok : .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: existing ? #"{"filter":"licence.>","position":42,"pending":3}"# : #"{"filter":"licence.>","position":0,"pending":0}"#)))
        }
        router.get("v1/subscriptions/:name/events") { request, _ in
            requests.withLock { $0.append("GET max=\(request.uri.queryParameters.get("max") ?? "")") }
            let body = "[{\"id\":\"a\",\"sequence\":\"7\",\"data\":{\n  \"n\": 1\n}},{\"id\":\"b\",\"sequence\":\"9\"},{\"id\":\"c\",\"sequence\":\"12\"}]"
            return Response(
                status: .ok, headers: [.contentType: "application/cloudevents-batch+json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("v1/subscriptions/:name/ack") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            requests.withLock { $0.append("ACK " + String(buffer: body)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"acknowledged":[true,true,true]}"#)))
        }
        try await Application(router: router).test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            let outcome = try await Self.runDetached(
                ["subscribe", "--url", url, "--token", "t", "tax-licences", "--filter", "licence.>", "--start", "5", "--count", "3", "--max", "50"],
                in: directory)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(
                outcome.standardOutput == """
                    {"id":"a","sequence":"7","data":{"n":1}}
                    {"id":"b","sequence":"9"}
                    {"id":"c","sequence":"12"}

                    """)
            #expect(outcome.standardError.contains("subscription tax-licences created"))
            #expect(outcome.standardError.contains("waiting for events until 3 arrived"))
            #expect(
                requests.withLock { $0 } == [
                    #"PUT {"filter":"licence.>","start":{"sequence":5}}"#, "GET max=3", #"ACK {"sequences":[7,9,12]}"#,
                ])

            // An existing subscription: where it stands, and that --start was not applied.
            let existing = try await Self.runDetached(
                ["subscribe", "--url", url, "--token", "t", "existing", "--create", "--filter", "licence.>", "--start", "all", "--count", "1"],
                in: directory)
            #expect(existing.status == 0, "\(existing.standardError)")
            let lines = existing.standardError.split(separator: "\n").map(String.init)
            #expect(
                lines.first
                    == "subscription existing exists: filter licence.>, next sequence 42, 3 pending; --start all is not applied (it places only a new subscription; delete this one to start over)")
            #expect(lines.dropFirst().first == "waiting for events until 1 arrived (--timeout SECONDS to stop waiting; Ctrl-C to stop)")
        }
    }
}
