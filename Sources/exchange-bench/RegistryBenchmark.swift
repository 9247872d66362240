import ArgumentParser
import AsyncHTTPClient
import ExchangeModel
import ExchangeStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// `exchange-bench registry`: loads N licences into the store of a daemon it starts, then
/// measures key look-ups and holder searches over HTTPS as the portal.
struct RegistryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Load licences, then measure registry look-ups and holder searches over HTTPS.",
        discussion: """
            The licences are written straight into the daemon's data directory through the \
            store's batch append (append(contentsOf:), 1,000 events per call, 8 concurrent \
            writers), before the daemon starts: the same transaction as a publish (log, indexes, \
            inbox, audit entry, registry entry and indexes), without HTTP. Each licence has a \
            holder shared with 3 others. Then CONNECTIONS concurrent HTTPS connections, each one \
            request at a time, look up random licence numbers with a portal bearer token (every \
            look-up projected through the agreement and written to the audit log before it is \
            answered), then search by holder (limit 10). store_bytes_per_event and \
            disk_bytes_per_event are this process's wchar and write_bytes (/proc/self/io) over the \
            load, per licence; disk_bytes_per_request is the daemon's write_bytes over the look-ups \
            and searches (their audit entries), per request; null where /proc cannot be read.
            """)

    @Option(help: "Licences to load.")
    var licences = 1_000_000

    @Option(help: "Timed key look-ups (after 2,000 untimed).")
    var lookups = 200_000

    @Option(help: "Timed holder searches.")
    var searches = 50_000

    @Option(help: "Concurrent HTTPS connections, one request in flight each.")
    var connections = 32

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Seconds after which any single wait gives up.")
    var timeout = 60

    func validate() throws {
        guard licences >= 4, licences <= 20_000_000 else { throw ValidationError("--licences must be from 4 to 20000000") }
        guard lookups >= 1, searches >= 1 else { throw ValidationError("--lookups and --searches must be at least 1") }
        guard connections >= 1, connections <= 1024 else { throw ValidationError("--connections must be from 1 to 1024") }
    }

    static func number(_ index: Int) -> String { "L" + String(format: "%09d", index) }
    static func holder(_ index: Int) -> String { "91310000" + String(format: "%010d", index / 4) }

    /// Writes `count` licences into the store under `directory/data`; returns the seconds taken.
    static func load(into directory: URL, count: Int) async throws -> Double {
        var logger = Logger(label: "exchange.bench")
        logger.logLevel = .warning
        let store = try ExchangeStore(
            configuration: StoreConfiguration(directory: directory.appendingPathComponent("data").path, initialMapSize: 4 << 30), logger: logger)
        let collection = RegistryCollection(
            name: BenchConfiguration.collection, holder: try JSONPointer("/holder/credit_code"), type: try JSONPointer("/licence_type"),
            validFrom: try JSONPointer("/valid_from"), validUntil: try JSONPointer("/valid_until"))
        let route = StoredRoute(consumer: BenchConfiguration.consumer, agreement: BenchConfiguration.licenceAgreement, agreementVersion: 1)
        let types = ["food-business", "drug-retail", "catering", "general-business"]
        let start = monotonicNanoseconds()
        try await ChunkedAppend.run(count: count, into: store) { index in
            let number = number(index)
            let data = #"{"licence_no":"\#(number)","holder":{"name":"Enterprise \#(index / 4)","credit_code":"\#(holder(index))"},"licence_type":"\#(types[index % 4])","valid_from":"2026-01-01","valid_until":"20\#(27 + index % 8)-12-31"}"#
            return AppendRequest(
                envelope: Envelope(
                    id: "load-\(index)", source: BenchConfiguration.publisher, type: "licence.issued",
                    topic: BenchConfiguration.licenceTopic, subject: number, data: Array(data.utf8)),
                routes: [route], registry: collection)
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        store.close()
        return seconds
    }

    /// Hands out numbers to concurrent tasks.
    final class Counter: Sendable {
        private let next = Atomic<Int>(0)
        /// The first of `count` numbers no other caller gets.
        func take(_ count: Int) -> Int { next.add(count, ordering: .relaxed).oldValue }
    }

    struct Outcome: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
    }

    /// Runs `count` requests over `connections` connections, one at a time each.
    func measure(
        client: HTTPClient, count: Int, token: String, url: @escaping @Sendable (Int) -> String, check: @escaping @Sendable ([UInt8]) -> Bool
    ) async throws -> (seconds: Double, outcome: Outcome) {
        let next = Counter()
        let timeout = TimeAmount.seconds(Int64(self.timeout))
        let connections = self.connections
        let start = monotonicNanoseconds()
        let outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var outcome = Outcome()
                    outcome.latencies.reserveCapacity(count / connections + 1)
                    while true {
                        let index = next.take(1)
                        guard index < count else { return outcome }
                        var request = HTTPClientRequest(url: url(index))
                        request.headers.add(name: "authorization", value: "Bearer " + token)
                        let sent = monotonicNanoseconds()
                        do {
                            let response = try await client.execute(request, timeout: timeout)
                            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
                            outcome.latencies.append(monotonicNanoseconds() - sent)
                            if response.status != .ok || !check(body) {
                                outcome.errors += 1
                                if outcome.firstError == nil { outcome.firstError = "\(response.status.code) \(String(decoding: body.prefix(300), as: UTF8.self))" }
                            }
                        } catch {
                            outcome.errors += 1
                            if outcome.firstError == nil { outcome.firstError = "\(error)" }
                        }
                    }
                }
            }
            var total = Outcome()
            for try await part in group {
                total.latencies += part.latencies
                total.errors += part.errors
                total.firstError = total.firstError ?? part.firstError
            }
            return total
        }
        return (Double(monotonicNanoseconds() - start) / 1e9, outcome)
    }

    func run() async throws {
        let count = licences
        if !json { print("loading \(count) licences into the store, then starting the daemon...") }
        let loadSeconds = Locked(0.0)
        let loadIO = Locked<(before: ProcessIO?, after: ProcessIO?)>((nil, nil))
        let daemon = try await BenchDaemon.start(timeoutSeconds: timeout * 4) { directory in
            let before = ProcessIO.current()
            loadSeconds.value = try await Self.load(into: directory, count: count)
            loadIO.value = (before, ProcessIO.current())
        }
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: timeout * 4 + (lookups + searches) / 500)
        guard let token = daemon.portalToken, let tls = daemon.auditor?.tls else { throw BenchDaemon.Failure(description: "no portal token") }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = daemon.baseURL + "/v1/registry/" + BenchConfiguration.collection
        let valid = Array(#""status":"valid""#.utf8)
        let lookup: @Sendable (Int) -> String = { _ in base + "/" + Self.number(Int.random(in: 0..<count)) }
        let search: @Sendable (Int) -> String = { _ in base + "?limit=10&holder=" + Self.holder(Int.random(in: 0..<count)) }
        let isEntry: @Sendable ([UInt8]) -> Bool = { body in
            body.withUnsafeBufferPointer { buffer in
                buffer.count >= valid.count && (0...(buffer.count - valid.count)).contains { start in buffer[start..<start + valid.count].elementsEqual(valid) }
            }
        }
        // Every holder holds 1 to 4 licences.
        let isPage: @Sendable ([UInt8]) -> Bool = { body in
            let text = String(decoding: body, as: UTF8.self)
            return text.contains(#""count":"#) && !text.contains(#""count":0,"#)
        }
        do {
            if !json { print("look-ups: \(lookups) over \(connections) connections...") }
            _ = try await measure(client: client, count: 2000, token: token, url: lookup, check: isEntry)
            let requestIOBefore = ProcessIO.of(daemon)
            let lookupRun = try await measure(client: client, count: lookups, token: token, url: lookup, check: isEntry)
            guard lookupRun.outcome.errors == 0 else {
                throw BenchDaemon.Failure(description: "\(lookupRun.outcome.errors) look-ups failed: \(lookupRun.outcome.firstError ?? "?")")
            }
            if !json { print("holder searches: \(searches)...") }
            let searchRun = try await measure(client: client, count: searches, token: token, url: search, check: isPage)
            guard searchRun.outcome.errors == 0 else {
                throw BenchDaemon.Failure(description: "\(searchRun.outcome.errors) searches failed: \(searchRun.outcome.firstError ?? "?")")
            }
            let requestIOAfter = ProcessIO.of(daemon)
            try await client.shutdown()
            let lookupSummary = LatencySummary(nanoseconds: lookupRun.outcome.latencies)
            let searchSummary = LatencySummary(nanoseconds: searchRun.outcome.latencies)
            var report = EndToEndReport()
            report.add("mode", "registry")
            report.add("licences", count)
            report.add("load_seconds", EndToEndReport.round(loadSeconds.value))
            report.add("load_per_s", (Double(count) / loadSeconds.value).rounded())
            report.addOwnWriteVolume(from: loadIO.value.before, to: loadIO.value.after, events: count)
            report.add("connections", connections)
            report.add("lookups", lookups)
            report.add("lookups_per_s", (Double(lookups) / lookupRun.seconds).rounded())
            report.add("lookup_p50_ms", EndToEndReport.round(lookupSummary.p50))
            report.add("lookup_p99_ms", EndToEndReport.round(lookupSummary.p99))
            report.add("lookup_p999_ms", EndToEndReport.round(lookupSummary.p999))
            report.add("searches", searches)
            report.add("search_per_s", (Double(searches) / searchRun.seconds).rounded())
            report.add("search_p50_ms", EndToEndReport.round(searchSummary.p50))
            report.add("search_p99_ms", EndToEndReport.round(searchSummary.p99))
            let requestVolume = requestIOBefore.flatMap { requestIOAfter?.perEvent(since: $0, events: lookups + searches) }
            report.add("disk_bytes_per_request", EndToEndReport.orNull(requestVolume.map { EndToEndReport.round($0.disk, places: 10) }))
            if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
            try report.print(json: json)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
