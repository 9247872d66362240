import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `exchange-bench fanout`: one publisher at a fixed rate, N durable subscriptions that each
/// receive every event, each acknowledging in batches; measures the publish acknowledgement,
/// the delivery to every subscriber, and what the daemon writes per event.
///
/// ```
/// exchange-bench fanout --subscriptions 50 --rate 200 --mode stream --duration 10 --json
/// ```
///
/// Every event reaches all N subscriptions through an agreement: the bench agreement routes
/// the bench topic to the consuming department, and its N subscriptions on that topic each read
/// the department's inbox from their own position, so each event is N deliveries, N pending
/// entries and N acknowledgements with their audited receipts. Publishing is that of `latency`
/// (each event carries its scheduled send time, so a late sender counts against latency).
struct FanoutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Publish at a fixed rate to many subscriptions of every event; measure acknowledgement and delivery latency.",
        discussion: """
            Creates --subscriptions durable subscriptions of the consuming department on the bench \
            topic (start: new). With --mode stream each is a WebSocket subscription stream (credit; \
            acknowledgements in batches of 256, or sooner when an event arrives 5 ms after the last \
            one); with --mode pull each is a loop of HTTP long polls (--pull-max, --pull-wait), each \
            batch acknowledged in one request before the next pull. Publishes rate × (duration + 1) \
            events on one WebSocket connection on a fixed schedule (one untimed warm-up second), then \
            waits up to --drain seconds for the last deliveries. Delivery latency runs from an event's \
            scheduled publish to its receipt by a subscriber (stamped as its bytes are read for a \
            stream, at the end of the answer for a pull). missing is the deliveries that had not \
            arrived when the run ended, over all subscriptions; --count is not used.

            """ + "\n" + EndToEndReport.writeVolumeHelp + " Here the span runs from the first publish to the last delivery.")

    enum DeliveryMode: String, ExpressibleByArgument, CaseIterable, Sendable {
        case pull, stream
    }

    @OptionGroup var options: EndToEndOptions

    @Option(help: "Durable subscriptions, each receiving every event.")
    var subscriptions = 50

    @Option(help: "Events per second.")
    var rate = 200

    @Option(help: "How subscribers receive: stream (WebSocket) or pull (HTTP long poll).")
    var mode = DeliveryMode.stream

    @Option(help: "Seconds of measured load (after one warm-up second, not counted).")
    var duration = 10

    @Option(help: "Seconds to wait after the last publish for deliveries still on their way.")
    var drain = 30

    @Option(help: "With --mode pull: events per pull at most.")
    var pullMax = 1000

    @Option(help: "With --mode pull: milliseconds a pull waits when nothing is ready.")
    var pullWait = 1000

    @Option(help: "max_in_flight of each subscription.")
    var maxInFlight = 10_000

    func validate() throws {
        try options.validateCommon()
        guard subscriptions >= 1, subscriptions <= 10_000 else { throw ValidationError("--subscriptions must be from 1 to 10000") }
        guard rate >= 1, rate <= 1_000_000 else { throw ValidationError("--rate must be from 1 to 1000000") }
        guard duration >= 1, duration <= 3600 else { throw ValidationError("--duration must be from 1 to 3600") }
        guard drain >= 0, drain <= 3600 else { throw ValidationError("--drain must be from 0 to 3600") }
        guard pullMax >= 1, pullMax <= 10_000 else { throw ValidationError("--pull-max must be from 1 to 10000 (the daemon's limit)") }
        guard pullWait >= 0, pullWait <= 30_000 else { throw ValidationError("--pull-wait must be from 0 to 30000") }
        guard maxInFlight >= 1, maxInFlight <= 100_000 else { throw ValidationError("--max-in-flight must be from 1 to 100000") }
        // Every delivery's latency is kept: 8 bytes each.
        let (product, overflow) = (subscriptions * rate).multipliedReportingOverflow(by: duration + 1)
        guard !overflow, product <= 50_000_000 else {
            throw ValidationError("--subscriptions × --rate × (--duration + 1) must be at most 50000000 deliveries")
        }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 6 + duration * 3 + drain + subscriptions / 20)
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                tlsConfiguration: daemon.consumer,
                connectionPool: .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: max(32, subscriptions))))
        do {
            try await measure(daemon: daemon, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func measure(daemon: BenchDaemon, client: HTTPClient) async throws {
        let tag = benchRunTag()
        let names = (0..<subscriptions).map { "fanout-\(tag)-\($0)" }
        let creator = SoakSubscribers(
            baseURL: daemon.baseURL, client: client, subscriptions: names.map { .init(name: $0, kind: .normal) }, paces: [:],
            timeoutSeconds: options.timeout)
        try await creator.create(filter: options.topic, maxInFlight: maxInFlight, concurrency: 32)

        let warmup = rate
        let total = warmup + rate * duration
        if !options.json {
            print(
                "publishing \(rate) events/s of \(options.size) bytes for 1 + \(duration) s to \(daemon.baseURL), "
                    + "\(subscriptions) subscriptions receiving every event by \(mode.rawValue)...")
        }
        let event = BenchEvent(topic: options.topic, size: options.size, run: tag)
        let publisher = WebSocketPublisher(url: daemon.webSocketURL, tls: daemon.publisher, event: event, timeoutSeconds: options.timeout)
        let interval = 1e9 / Double(rate)
        let scheduleNanoseconds = UInt64(total) * 1_000_000_000 / UInt64(rate)
        let drainNanoseconds = UInt64(drain) * 1_000_000_000
        let start = Locked<UInt64>(UInt64.max)
        let deadline: @Sendable () -> UInt64 = { start.value == UInt64.max ? UInt64.max : start.value + scheduleNanoseconds + drainNanoseconds }
        let (readiness, ready) = AsyncStream.makeStream(of: Void.self)
        let mode = self.mode
        let (pullMax, pullWait, timeout) = (self.pullMax, self.pullWait, options.timeout)
        var cpuBefore: CPUUsage?
        var ioBefore: ProcessIO?
        var writerBefore: WriterFigures?
        var lastArrival: UInt64 = 0

        let (published, received) = try await withThrowingTaskGroup(of: FanoutTaskResult.self) { group in
            for name in names {
                group.addTask {
                    switch mode {
                    case .stream:
                        let reader = SubscriptionStreamReader(url: daemon.webSocketURL, tls: daemon.consumer, name: name)
                        do {
                            let result = try await reader.run(expected: total, skipBelow: warmup, deadline: deadline, ready: { ready.yield() })
                            return .received(result, monotonicNanoseconds())
                        } catch {
                            ready.yield()
                            throw error
                        }
                    case .pull:
                        ready.yield()
                        let puller = FanoutPuller(
                            baseURL: daemon.baseURL, client: client, name: name, max: pullMax, waitMilliseconds: pullWait, timeoutSeconds: timeout)
                        return .received(await puller.run(expected: total, skipBelow: warmup, deadline: deadline), monotonicNanoseconds())
                    }
                }
            }
            var opened = 0
            for await _ in readiness {
                opened += 1
                if opened == names.count { break }
            }
            writerBefore = await WriterFigures.scrape(daemon, timeoutSeconds: timeout)
            cpuBefore = CPUUsage.now(daemon: daemon)
            ioBefore = ProcessIO.of(daemon)
            let origin = monotonicNanoseconds() + 10_000_000
            start.value = origin
            group.addTask {
                .published(try await publisher.run(first: 0, count: total, window: 4096, schedule: { origin + UInt64(Double($0) * interval) }))
            }
            var published: WebSocketPublisher.Result?
            var received: [SubscriptionStreamReader.Result] = []
            for try await result in group {
                switch result {
                case .published(let value): published = value
                case .received(let value, let ended):
                    received.append(value)
                    lastArrival = max(lastArrival, ended)
                }
            }
            return (published!, received)
        }
        let ended = monotonicNanoseconds()
        let ioAfter = ProcessIO.of(daemon)
        let cpuAfter = CPUUsage.now(daemon: daemon)
        let writerAfter = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let tally = FanoutTally(published: total - published.errors, subscribers: received)
        let origin = start.value
        let spanSeconds = Double(ended &- origin) / 1e9

        var report = EndToEndReport()
        report.add("mode", "fanout")
        report.add("delivery", mode.rawValue)
        report.add("subscriptions", subscriptions)
        report.add("rate", rate)
        report.add("duration_s", duration)
        report.add("size", options.size)
        report.add("published", tally.published)
        report.add("expected_deliveries", tally.expected)
        report.add("delivered", tally.delivered)
        report.add("missing", tally.missing)
        report.add("deliveries_per_s", (Double(tally.measuredLatencies.count) / Double(duration)).rounded())
        report.add(LatencySummary(nanoseconds: tally.measuredLatencies))
        report.add(LatencySummary(nanoseconds: Array(published.latencies.dropFirst(warmup))), prefix: "ack_")
        // From the end of the publish schedule to the last subscriber done (all its events in, or the drain over).
        report.add("drained_s", EndToEndReport.round(Double(lastArrival > origin + scheduleNanoseconds ? lastArrival - origin - scheduleNanoseconds : 0) / 1e9))
        report.add("errors", published.errors + tally.errors)
        report.addDaemonWriteVolume(from: ioBefore, to: ioAfter, events: tally.published)
        if let cpuBefore { cpuAfter.report(since: cpuBefore, events: tally.published, into: &report) }
        if let writerBefore, let writerAfter { writerAfter.report(since: writerBefore, seconds: spanSeconds, into: &report) }
        if let first = published.firstError ?? tally.firstError { report.add("first_error", first) }
        if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
        try report.print(json: options.json)
    }
}

/// What one of the fanout mode's tasks ends with: the publisher's result, or one
/// subscriber's with the time it finished.
enum FanoutTaskResult: Sendable {
    case published(WebSocketPublisher.Result)
    case received(SubscriptionStreamReader.Result, UInt64)
}
