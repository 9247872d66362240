import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import ExchangeStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// `exchange-bench console`: loads N events into the store of a daemon it starts, signs in to
/// the web console as an auditor and times each view, and the portal's data tracker API.
struct ConsoleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Load events, then time the web console's views and the portal's data tracker on the large log.",
        discussion: """
            The events are written straight into the daemon's data directory through the \
            store's batch append (1,000 events per call, 8 concurrent writers) before the daemon \
            starts: the transaction of a publish (log, indexes, inbox, deduplication, the \
            `published` audit entry and its filter index keys), without HTTP. Every event goes \
            from the bench publisher to the bench consumer; its subject is one of SUBJECTS \
            (each on every SUBJECTS-th event). Then, signed in to /console with an auditor \
            token, REQUESTS sequential requests per view (after 2 untimed), each a page view \
            audited before it is answered: the overview, the agreements, departments and \
            subscriptions, the audit explorer's first page and pages filtered by subject, by \
            department (the consumer, on every event) and by kind (agreements_changed, a few \
            entries at the start of the log), one event's life page (an event in the middle of \
            the log), the data tracker for a subject, and GET /v1/audit/subjects/{subject} with \
            the portal's token (the consumer's department, given the portal role). Prints p50 \
            and max per view in milliseconds, the slowest view, and whether every request \
            answered within --budget-ms; then the filter index's keys and B-tree bytes per event \
            (audit_filter_keys_per_event, audit_filter_bytes_per_event) and this process's \
            write volume over the load per event (store_bytes_per_event, disk_bytes_per_event).
            """)

    @Option(help: "Events to load.")
    var events = 1_000_000

    @Option(help: "Distinct subjects among the events.")
    var subjects = 10_000

    @Option(help: "Timed requests per view (after 2 untimed).")
    var requests = 20

    @Option(name: .customLong("budget-ms"), help: "The answer time every request must stay under, in milliseconds.")
    var budgetMilliseconds = 200.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Seconds after which any single wait gives up.")
    var timeout = 120

    func validate() throws {
        guard events >= 100, events <= 20_000_000 else { throw ValidationError("--events must be from 100 to 20000000") }
        guard subjects >= 1, subjects <= events else { throw ValidationError("--subjects must be from 1 to --events") }
        guard requests >= 1, requests <= 100_000 else { throw ValidationError("--requests must be from 1 to 100000") }
        guard budgetMilliseconds > 0 else { throw ValidationError("--budget-ms must be positive") }
    }

    /// Writes `count` events into the store under `directory/data`; returns the seconds taken
    /// and the filter index's keys and bytes.
    static func load(into directory: URL, count: Int, subjects: Int) async throws -> (seconds: Double, keys: Int, bytes: Int) {
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.appendingPathComponent("data").path, initialMapSize: 4 << 30), logger: logger)
        let route = StoredRoute(consumer: BenchConfiguration.consumer, agreement: BenchConfiguration.loadAgreement, agreementVersion: 1)
        let start = monotonicNanoseconds()
        do {
            try await ChunkedAppend.run(count: count, into: store) { index in
                let subject = ConsoleViews.subject(index, subjects: subjects)
                return AppendRequest(
                    envelope: Envelope(
                        id: "console-\(index)", source: BenchConfiguration.publisher, type: "bench.event", topic: BenchDaemon.topic,
                        subject: subject, data: Array(#"{"k":"\#(subject)","n":\#(index),"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#.utf8)),
                    routes: [route])
            }
        } catch {
            store.close()
            throw error
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let figures = try store.auditFilterStatistics()
        store.close()
        return (seconds, figures.keys, figures.bytes)
    }

    func run() async throws {
        let count = events
        let subjects = self.subjects
        if !json { print("loading \(count) events into the store, then starting the daemon...") }
        let loaded = Locked<(seconds: Double, keys: Int, bytes: Int)>((0, 0, 0))
        let loadIO = Locked<(before: ProcessIO?, after: ProcessIO?)>((nil, nil))
        let daemon = try await BenchDaemon.start(timeoutSeconds: timeout * 4) { directory in
            let before = ProcessIO.current()
            loaded.value = try await Self.load(into: directory, count: count, subjects: subjects)
            loadIO.value = (before, ProcessIO.current())
        }
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: timeout * 4 + requests * 20)
        guard let portalToken = daemon.portalToken, let auditor = daemon.auditor else {
            throw BenchDaemon.Failure(description: "the started daemon has no auditor or portal token")
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: auditor.tls)
        configuration.httpVersion = .http1Only
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let timeout = TimeAmount.seconds(Int64(self.timeout))
        do {
            let session = try await signIn(client: client, base: daemon.baseURL, token: auditor.token, timeout: timeout)
            let views = ConsoleViews.views(
                subject: ConsoleViews.subject(count / 2, subjects: subjects), department: BenchConfiguration.consumer,
                kind: "agreements_changed", entry: UInt64(count / 2))
            var timings: [(view: String, nanoseconds: [UInt64])] = []
            for view in views {
                if !json { print("\(view.name): \(requests) requests...") }
                var request = HTTPClientRequest(url: daemon.baseURL + view.path)
                if view.isPortalAPI {
                    request.headers.add(name: "authorization", value: "Bearer " + portalToken)
                } else {
                    request.headers.add(name: "cookie", value: session)
                }
                var samples: [UInt64] = []
                for attempt in 0..<(requests + 2) {
                    let sent = monotonicNanoseconds()
                    let response = try await client.execute(request, timeout: timeout)
                    let body = try await response.body.collect(upTo: 16 << 20)
                    let took = monotonicNanoseconds() - sent
                    guard response.status == .ok else {
                        throw BenchDaemon.Failure(
                            description: "\(view.path) answered \(response.status.code): \(String(buffer: body).prefix(300))")
                    }
                    if attempt >= 2 { samples.append(took) }
                }
                timings.append((view.name, samples))
            }
            try await client.shutdown()
            var report = EndToEndReport()
            report.add("mode", "console")
            report.add("events", count)
            report.add("subjects", subjects)
            report.add("load_seconds", EndToEndReport.round(loaded.value.seconds))
            report.add("load_per_s", (Double(count) / loaded.value.seconds).rounded())
            report.addOwnWriteVolume(from: loadIO.value.before, to: loadIO.value.after, events: count)
            report.add("audit_filter_keys_per_event", EndToEndReport.round(Double(loaded.value.keys) / Double(count)))
            report.add("audit_filter_bytes_per_event", EndToEndReport.round(Double(loaded.value.bytes) / Double(count), places: 10))
            report.add("requests_per_view", requests)
            ConsoleViews.report(timings, budgetMilliseconds: budgetMilliseconds, into: &report)
            if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
            try report.print(json: json)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Signs in to the console with `token` (the sign-in page's cookie and anti-forgery value,
    /// then the form); returns the session cookie `name=value`.
    func signIn(client: HTTPClient, base: String, token: String, timeout: TimeAmount) async throws -> String {
        let page = try await client.execute(HTTPClientRequest(url: base + "/console/signin"), timeout: timeout)
        let html = String(buffer: try await page.body.collect(upTo: 1 << 20))
        guard let signInCookie = ConsoleViews.cookie("exchange_console_signin", in: page.headers["set-cookie"]),
            let csrf = ConsoleViews.csrf(in: html)
        else { throw BenchDaemon.Failure(description: "the sign-in page has no anti-forgery cookie or field") }
        var request = HTTPClientRequest(url: base + "/console/signin")
        request.method = .POST
        request.headers.add(name: "cookie", value: signInCookie)
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let form = "csrf=\(csrf)&method=token&token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
        request.body = .bytes(ByteBuffer(string: form))
        let answer = try await client.execute(request, timeout: timeout)
        _ = try await answer.body.collect(upTo: 1 << 20)
        guard let session = ConsoleViews.cookie("exchange_console", in: answer.headers["set-cookie"]) else {
            throw BenchDaemon.Failure(description: "signing in to the console answered \(answer.status.code) without a session")
        }
        return session
    }
}
