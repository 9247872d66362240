import ArgumentParser
import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// `exchange-bench replay`: loads events over `WS /v1/publish`, then streams `GET /v1/replay`
/// and counts the NDJSON lines.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Load events, then replay them over HTTPS as NDJSON and count lines per second.",
        discussion: "The write volume is that of the load (the replays write only their audit entries). " + EndToEndReport.writeVolumeHelp)

    enum Principal: String, ExpressibleByArgument, CaseIterable {
        case department, auditor
    }

    @OptionGroup var options: EndToEndOptions

    @Option(help: "Who replays (a started daemon only): the consuming department (its inbox), or an auditor token (the whole log).")
    var `as` = Principal.auditor

    @Option(help: "Replays of the loaded store; the first is reported separately as the cold pass.")
    var passes = 2

    @Flag(help: "Skip loading (with --url: replay what the store already holds).")
    var noLoad = false

    func validate() throws {
        try options.validateCommon()
        guard passes >= 1, passes <= 20 else { throw ValidationError("--passes must be from 1 to 20") }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 4 + options.count / 1_000 * passes)
        let count = options.count
        var loadRate = 0.0
        var loadIO: (before: ProcessIO?, after: ProcessIO?) = (nil, nil)
        if !noLoad {
            if !options.json { print("loading \(count) events of \(options.size) bytes into \(daemon.baseURL)...") }
            let event = BenchEvent(topic: options.topic, size: options.size, run: benchRunTag())
            let publisher = WebSocketPublisher(url: daemon.webSocketURL, tls: daemon.publisher, event: event, timeoutSeconds: options.timeout)
            loadIO.before = ProcessIO.of(daemon)
            let start = monotonicNanoseconds()
            let loaded = try await publisher.run(first: 0, count: count, window: 2048)
            guard loaded.errors == 0 else { throw WebSocketPublisher.Failure(description: "load refused: \(loaded.firstError ?? "?")") }
            loadIO.after = ProcessIO.of(daemon)
            loadRate = Double(count) / (Double(monotonicNanoseconds() - start) / 1e9)
        }
        var tls = daemon.consumer
        var authorization: String?
        if `as` == .auditor, let auditor = daemon.auditor {
            tls = auditor.tls
            authorization = "Bearer " + auditor.token
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        var results: [(lines: Int, bytes: Int, seconds: Double, firstLine: Double)] = []
        let cpuBefore = CPUUsage.now(daemon: daemon)
        do {
            for _ in 0..<passes {
                if !options.json { print("replaying as \(daemon.auditor == nil ? "the consumer certificate" : `as`.rawValue)...") }
                let start = monotonicNanoseconds()
                var request = HTTPClientRequest(url: daemon.baseURL + "/v1/replay")
                if let authorization { request.headers.add(name: "authorization", value: authorization) }
                let response = try await client.execute(request, timeout: .seconds(Int64(options.timeout)))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throw WebSocketPublisher.Failure(description: "replay refused: \(response.status.code) \(String(buffer: body))")
                }
                var lines = 0
                var bytes = 0
                var firstLine = 0.0
                for try await chunk in response.body {
                    bytes += chunk.readableBytes
                    let newlines = chunk.withUnsafeReadableBytes { raw in
                        // memchr, not a byte loop: the client must not be what is measured.
                        var found = 0
                        var position = raw.baseAddress
                        var remaining = raw.count
                        while remaining > 0, let start = position, let hit = memchr(start, 0x0A, remaining) {
                            found += 1
                            let next = hit + 1
                            remaining -= UnsafeRawPointer(next) - UnsafeRawPointer(start)
                            position = UnsafeRawPointer(next)
                        }
                        return found
                    }
                    if lines == 0, newlines > 0 { firstLine = Double(monotonicNanoseconds() - start) / 1e6 }
                    lines += newlines
                }
                results.append((lines, bytes, Double(monotonicNanoseconds() - start) / 1e9, firstLine))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let cpuAfter = CPUUsage.now(daemon: daemon)
        let best = results.dropFirst().min { $0.seconds < $1.seconds } ?? results[0]
        var report = EndToEndReport()
        report.add("mode", "replay")
        report.add("count", count)
        report.add("size", options.size)
        report.add("as", daemon.auditor == nil ? "certificate" : `as`.rawValue)
        if !noLoad { report.add("load_events_per_s", loadRate.rounded()) }
        report.addDaemonWriteVolume(from: loadIO.before, to: loadIO.after, events: noLoad ? 0 : count)
        report.add("lines", best.lines)
        report.add("seconds", EndToEndReport.round(best.seconds))
        report.add("events_per_s", (Double(best.lines) / best.seconds).rounded())
        report.add("mb_per_s", EndToEndReport.round(Double(best.bytes) / best.seconds / 1_048_576, places: 10))
        report.add("cold_events_per_s", (Double(results[0].lines) / results[0].seconds).rounded())
        // One replay is one request: its latency figures are the time to the first line.
        report.add("p50_ms", EndToEndReport.round(best.firstLine))
        report.add("p99_ms", EndToEndReport.round(best.firstLine))
        report.add("first_line_ms", EndToEndReport.round(best.firstLine))
        cpuAfter.report(since: cpuBefore, events: results.reduce(0) { $0 + $1.lines }, into: &report)
        try report.print(json: options.json)
    }
}
