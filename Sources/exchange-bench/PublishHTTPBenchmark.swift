import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// `exchange-bench publish-http`: single structured events over `POST /v1/topics/{topic}/events`,
/// each connection carrying one request at a time.
struct PublishHTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish-http",
        abstract: "Publish single events over HTTPS from concurrent connections, one request at a time each.")

    @OptionGroup var options: EndToEndOptions

    @Option(help: "HTTP connections, each with one request in flight.")
    var connections = 64

    func validate() throws {
        try options.validateCommon()
        guard connections >= 1, connections <= 1024 else { throw ValidationError("--connections must be from 1 to 1024") }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Hands out event numbers to the connections.
    final class Ticket: Sendable {
        let next = Atomic<Int>(0)
        func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
    }

    struct Outcome: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 4 + options.count / 500)
        let event = BenchEvent(topic: options.topic, size: options.size, run: benchRunTag())
        var configuration = HTTPClient.Configuration(tlsConfiguration: daemon.publisher)
        configuration.httpVersion = .http1Only
        configuration.connectionPool = .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        if !options.json {
            print("publishing \(options.count) events of \(options.size) bytes over \(connections) HTTPS connections to \(daemon.baseURL)...")
        }
        let url = daemon.baseURL + "/v1/topics/" + options.topic + "/events"
        let timeout = TimeAmount.seconds(Int64(options.timeout))
        let count = options.count
        @Sendable func publish(_ index: Int) async throws -> (ok: Bool, error: String?) {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/cloudevents+json")
            request.body = .bytes(event.buffer(index: index))
            let response = try await client.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status.code == 200 else { return (false, "\(response.status.code) \(String(buffer: body))") }
            return (true, nil)
        }
        let outcomes: [Outcome]
        let seconds: Double
        var cpuBefore = CPUUsage(client: 0, server: nil)
        var cpuAfter = cpuBefore
        do {
            // One untimed request per connection opens every connection (TLS handshakes included).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in 0..<connections {
                    group.addTask {
                        let answer = try await publish(count + connection)
                        if let error = answer.error { throw Failure(description: "warm-up publish refused: \(error)") }
                    }
                }
                try await group.waitForAll()
            }
            let ticket = Ticket()
            cpuBefore = CPUUsage.now(daemon: daemon)
            let start = monotonicNanoseconds()
            outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for _ in 0..<connections {
                    group.addTask {
                        var outcome = Outcome()
                        outcome.latencies.reserveCapacity(count / connections + 1)
                        while true {
                            let index = ticket.take()
                            if index >= count { break }
                            let sent = monotonicNanoseconds()
                            let answer = try await publish(index)
                            if answer.ok {
                                outcome.latencies.append(monotonicNanoseconds() - sent)
                            } else {
                                outcome.errors += 1
                                if outcome.firstError == nil { outcome.firstError = answer.error }
                            }
                        }
                        return outcome
                    }
                }
                var all: [Outcome] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            seconds = Double(monotonicNanoseconds() - start) / 1e9
            cpuAfter = CPUUsage.now(daemon: daemon)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let errors = outcomes.reduce(0) { $0 + $1.errors }
        var report = EndToEndReport()
        report.add("mode", "publish-http")
        report.add("count", count)
        report.add("size", options.size)
        report.add("connections", connections)
        report.add("seconds", EndToEndReport.round(seconds))
        report.add("events_per_s", (Double(count - errors) / seconds).rounded())
        report.add(LatencySummary(nanoseconds: outcomes.flatMap(\.latencies)))
        report.add("errors", errors)
        cpuAfter.report(since: cpuBefore, events: count, into: &report)
        if let first = outcomes.lazy.compactMap(\.firstError).first { report.add("first_error", first) }
        if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
        try report.print(json: options.json)
    }
}
