import ArgumentParser

/// `exchange-bench publish-ws`: pipelined publishing over `WS /v1/publish`.
struct PublishWebSocketBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish-ws",
        abstract: "Publish over WebSocket connections, each keeping a window of events in flight; every reply follows a durable commit.",
        discussion: EndToEndReport.writeVolumeHelp)

    @OptionGroup var options: EndToEndOptions

    @Option(help: "WebSocket connections.")
    var connections = 1

    @Option(help: "Events in flight per connection.")
    var inflight = 1024

    @Option(help: "Events per frame; above 1 each frame is a batch (a JSON array, stored whole).")
    var batch = 1

    @Option(help: "Events published on one connection before the measurement, not counted.")
    var warmup = 2000

    func validate() throws {
        try options.validateCommon()
        guard connections >= 1, connections <= 256 else { throw ValidationError("--connections must be from 1 to 256") }
        guard inflight >= 1, inflight <= 4096 else { throw ValidationError("--inflight must be from 1 to 4096 (the server's limit)") }
        guard batch >= 1, batch <= 1000 else { throw ValidationError("--batch must be from 1 to 1000 (the server's max_batch_events)") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 4 + options.count / 2_000)
        let event = BenchEvent(topic: options.topic, size: options.size, run: benchRunTag())
        let publisher = WebSocketPublisher(url: daemon.webSocketURL, tls: daemon.publisher, event: event, timeoutSeconds: options.timeout)
        if !options.json {
            print("publishing \(options.count) events of \(options.size) bytes over \(connections) WebSocket connection(s), \(inflight) in flight each, to \(daemon.baseURL)...")
        }
        if warmup > 0 {
            _ = try await publisher.run(first: options.count, count: warmup, window: inflight, batch: batch)
        }
        let count = options.count
        let connections = self.connections
        let inflight = self.inflight
        let batch = self.batch
        let writerBefore = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let cpuBefore = CPUUsage.now(daemon: daemon)
        let ioBefore = ProcessIO.of(daemon)
        let start = monotonicNanoseconds()
        let results = try await withThrowingTaskGroup(of: WebSocketPublisher.Result.self) { group in
            for connection in 0..<connections {
                let first = count * connection / connections
                let share = count * (connection + 1) / connections - first
                group.addTask { try await publisher.run(first: first, count: share, window: inflight, batch: batch) }
            }
            var all: [WebSocketPublisher.Result] = []
            for try await result in group { all.append(result) }
            return all
        }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let cpuAfter = CPUUsage.now(daemon: daemon)
        let ioAfter = ProcessIO.of(daemon)
        let writerAfter = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let latencies = results.flatMap(\.latencies)
        let errors = results.reduce(0) { $0 + $1.errors }
        var report = EndToEndReport()
        report.add("mode", "publish-ws")
        report.add("count", count)
        report.add("size", options.size)
        report.add("connections", connections)
        report.add("inflight", inflight)
        report.add("batch", batch)
        report.add("seconds", EndToEndReport.round(seconds))
        report.add("events_per_s", (Double(count - errors) / seconds).rounded())
        report.add("mb_per_s", EndToEndReport.round(Double((count - errors) * event.template.count) / seconds / 1_048_576, places: 10))
        report.add(LatencySummary(nanoseconds: latencies))
        report.add("errors", errors)
        cpuAfter.report(since: cpuBefore, events: count, into: &report)
        report.addDaemonWriteVolume(from: ioBefore, to: ioAfter, events: count - errors)
        if let writerBefore, let writerAfter { writerAfter.report(since: writerBefore, seconds: seconds, into: &report) }
        if let first = results.lazy.compactMap(\.firstError).first { report.add("first_error", first) }
        if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
        try report.print(json: options.json)
    }
}
