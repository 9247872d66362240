import ArgumentParser

/// `exchange-bench latency`: publishes at a fixed rate over `WS /v1/publish` and measures, for
/// each event, the time from its scheduled publish to its arrival at a subscriber on
/// `WS /v1/subscriptions/{name}/stream`.
///
/// Each event carries its scheduled send time (monotonic clock) in its data, so a late sender
/// is charged to the latency rather than hidden (no coordinated omission).
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Publish at a fixed rate and measure publish-to-subscriber latency end to end.",
        discussion: "Publishes rate × (duration + 1) events; --count is not used.")

    @OptionGroup var options: EndToEndOptions

    @Option(help: "Events per second.")
    var rate = 2000

    @Option(help: "Seconds of measured load (after one warm-up second, not counted).")
    var duration = 10

    func validate() throws {
        try options.validateCommon()
        guard rate >= 1, rate <= 1_000_000 else { throw ValidationError("--rate must be from 1 to 1000000") }
        guard duration >= 1, duration <= 3600 else { throw ValidationError("--duration must be from 1 to 3600") }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 4 + duration * 2)
        let warmup = rate
        let total = warmup + rate * duration
        let name = "bench-latency-" + benchRunTag()
        try await SubscriptionStreamReader.create(
            baseURL: daemon.baseURL, tls: daemon.consumer, name: name, topic: options.topic, timeoutSeconds: options.timeout)
        if !options.json {
            print("publishing \(rate) events/s of \(options.size) bytes for 1 + \(duration) s to \(daemon.baseURL), receiving on subscription \(name)...")
        }
        let event = BenchEvent(topic: options.topic, size: options.size, run: benchRunTag())
        let publisher = WebSocketPublisher(url: daemon.webSocketURL, tls: daemon.publisher, event: event, timeoutSeconds: options.timeout)
        let reader = SubscriptionStreamReader(url: daemon.webSocketURL, tls: daemon.consumer, name: name)
        let writerBefore = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let (readiness, ready) = AsyncStream.makeStream(of: Void.self)
        let start = Locked<UInt64>(UInt64.max)
        let interval = 1e9 / Double(rate)
        let grace = UInt64(options.timeout) * 1_000_000_000
        let durationNanoseconds = UInt64(total) * 1_000_000_000 / UInt64(rate)
        let (published, received) = try await withThrowingTaskGroup(of: (WebSocketPublisher.Result?, SubscriptionStreamReader.Result?).self) { group in
            group.addTask {
                do {
                    let result = try await reader.run(
                        expected: total, skipBelow: warmup,
                        deadline: { start.value == UInt64.max ? UInt64.max : start.value + durationNanoseconds + grace },
                        ready: { ready.finish() })
                    return (nil, result)
                } catch {
                    ready.finish()
                    throw error
                }
            }
            for await _ in readiness {}
            let origin = monotonicNanoseconds() + 10_000_000
            start.value = origin
            group.addTask {
                let result = try await publisher.run(
                    first: 0, count: total, window: 4096, schedule: { origin + UInt64(Double($0) * interval) })
                return (result, nil)
            }
            var published: WebSocketPublisher.Result?
            var received: SubscriptionStreamReader.Result?
            for try await (sent, got) in group {
                if let sent { published = sent }
                if let got { received = got }
            }
            return (published!, received!)
        }
        let writerAfter = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let ackLatencies = Array(published.latencies.dropFirst(warmup))
        var report = EndToEndReport()
        report.add("mode", "latency")
        report.add("rate", rate)
        report.add("duration_s", duration)
        report.add("size", options.size)
        report.add("published", total - published.errors)
        report.add("delivered", received.received)
        report.add("events_per_s", (Double(received.latencies.count) / Double(duration)).rounded())
        report.add(LatencySummary(nanoseconds: received.latencies))
        report.add(LatencySummary(nanoseconds: ackLatencies), prefix: "ack_")
        report.add("errors", published.errors + received.errors)
        // Over the whole schedule, the warm-up second included.
        if let writerBefore, let writerAfter {
            writerAfter.report(since: writerBefore, seconds: Double(total) / Double(rate), into: &report)
        }
        if let first = published.firstError ?? received.firstError { report.add("first_error", first) }
        try report.print(json: options.json)
    }
}
