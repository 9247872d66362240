import ArgumentParser
import NIOCore
import NIOPosix
import NIOSSL

/// `exchange-bench publish-http`: single structured events over `POST /v1/topics/{topic}/events`,
/// each connection carrying one request at a time (``HTTPPublishHandler``).
struct PublishHTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish-http",
        abstract: "Publish single events over HTTPS from concurrent connections, one request at a time each.",
        discussion: EndToEndReport.writeVolumeHelp)

    @OptionGroup var options: EndToEndOptions

    @Option(help: "HTTP connections, each with one request in flight.")
    var connections = 64

    func validate() throws {
        try options.validateCommon()
        guard connections >= 1, connections <= 1024 else { throw ValidationError("--connections must be from 1 to 1024") }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        daemon.armWatchdog(seconds: options.timeout * 4 + options.count / 500)
        let event = BenchEvent(topic: options.topic, size: options.size, run: benchRunTag())
        if !options.json {
            print("publishing \(options.count) events of \(options.size) bytes over \(connections) HTTPS connections to \(daemon.baseURL)...")
        }
        let count = options.count
        let topic = options.topic
        let timeout = options.timeout
        let ticket = HTTPPublishHandler.Ticket()
        // Each connection opens (TLS handshake included) and publishes one untimed event first.
        var channels: [any Channel] = []
        var finishes: [EventLoopFuture<HTTPPublishHandler.Outcome>] = []
        defer { for channel in channels { channel.close(promise: nil) } }
        var warmups: [EventLoopFuture<Void>] = []
        for connection in 0..<connections {
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let warmed = loop.makePromise(of: Void.self)
            let finished = loop.makePromise(of: HTTPPublishHandler.Outcome.self)
            do {
                channels.append(
                    try await BenchChannel.connect(
                        to: daemon.baseURL, tls: daemon.publisher,
                        handler: {
                            HTTPPublishHandler(
                                event: event, topic: topic, warmupIndex: count + connection, ticket: ticket, count: count, timeoutSeconds: timeout,
                                warmed: warmed, finished: finished)
                        }, group: loop))
            } catch {
                warmed.fail(error)
                finished.fail(error)
                throw error
            }
            warmups.append(warmed.futureResult)
            finishes.append(finished.futureResult)
        }
        for warmup in warmups { try await warmup.get() }
        let writerBefore = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let cpuBefore = CPUUsage.now(daemon: daemon)
        let ioBefore = ProcessIO.of(daemon)
        let start = monotonicNanoseconds()
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(HTTPPublishHandler.Start()) }
        var outcomes: [HTTPPublishHandler.Outcome] = []
        for finish in finishes { outcomes.append(try await finish.get()) }
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let cpuAfter = CPUUsage.now(daemon: daemon)
        let ioAfter = ProcessIO.of(daemon)
        let writerAfter = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
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
        report.addDaemonWriteVolume(from: ioBefore, to: ioAfter, events: count - errors)
        if let writerBefore, let writerAfter { writerAfter.report(since: writerBefore, seconds: seconds, into: &report) }
        if let first = outcomes.lazy.compactMap(\.firstError).first { report.add("first_error", first) }
        if let bytes = daemon.storeBytes { report.add("store_bytes", bytes) }
        try report.print(json: options.json)
    }
}
