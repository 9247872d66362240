import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `exchange-bench soak`: load that lasts. Many durable subscriptions, some never acknowledging
/// and some reading slowly, while events are published at a fixed rate for many minutes, one
/// subscriber's latency is measured and an auditor replays what arrived since the last replay
/// every few minutes; once a minute the daemon's memory, CPU, writer and store are sampled.
///
/// ```
/// exchange-bench soak --minutes 30 --rate 5000 --subscriptions 1000 --json > soak.json
/// ```
///
/// Publishing and the measured subscriber are those of `latency`: each event carries its
/// scheduled send time, so a late sender counts against latency (no coordinated omission).
/// Before the load starts, the daemon's resident memory is read before and after creating the
/// subscriptions: their difference over their number is its memory per subscription. Delivered,
/// unacknowledged events are rows of the store's `pending` table, at most
/// subscriptions × `max_in_flight` of them.
struct SoakBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Publish at a fixed rate for many minutes to many subscriptions; report memory and latency per minute.",
        discussion: """
            Background subscriptions are pulled over HTTP by --workers workers on one client, each kind at its pace: \
            never-ack (pull --never-ack-max every --never-ack-every s, never acknowledge), slow (pull --slow-max every \
            --slow-every s, acknowledge), normal (pull --pull-max every --pull-every s waiting up to --pull-wait ms, \
            acknowledge each batch). One more subscription, on a WebSocket stream, measures delivery latency. \
            --count is not used. The write volume covers the whole load (background deliveries, \
            acknowledgements and replays included) per event published.

            """ + "\n" + EndToEndReport.writeVolumeHelp)

    @OptionGroup var options: EndToEndOptions

    @Option(help: "Events per second.")
    var rate = 5000

    @Option(help: "Minutes of load.")
    var minutes = 30

    @Option(help: "Background subscriptions (the measured subscriber is one more).")
    var subscriptions = 1000

    @Option(help: "Share of the subscriptions that never acknowledge.")
    var neverAckShare = 0.1

    @Option(help: "Share of the subscriptions that read slowly.")
    var slowShare = 0.1

    @Option(help: "max_in_flight of each background subscription (the daemon's default is 1000).")
    var maxInFlight = 1000

    @Option(help: "Events per pull of a normal subscription.")
    var pullMax = 100

    @Option(help: "Seconds between pulls of one normal subscription.")
    var pullEvery = 10.0

    @Option(help: "Milliseconds a normal pull waits when nothing is ready.")
    var pullWait = 1000

    @Option(help: "Events per pull of a slow subscription.")
    var slowMax = 5

    @Option(help: "Seconds between pulls of one slow subscription.")
    var slowEvery = 5.0

    @Option(help: "Events per pull of a never-ack subscription.")
    var neverAckMax = 500

    @Option(help: "Seconds between pulls of one never-ack subscription.")
    var neverAckEvery = 10.0

    @Option(help: "Concurrent background requests (each worker serves its share of the subscriptions in turn).")
    var workers = 64

    @Option(help: "Minutes between replays of what arrived since the previous replay (0: none).")
    var replayEvery = 5

    func validate() throws {
        try options.validateCommon()
        guard rate >= 1, rate <= 1_000_000 else { throw ValidationError("--rate must be from 1 to 1000000") }
        guard minutes >= 1, minutes <= 24 * 60 else { throw ValidationError("--minutes must be from 1 to 1440") }
        guard subscriptions >= 0, subscriptions <= 100_000 else { throw ValidationError("--subscriptions must be from 0 to 100000") }
        guard (0...1).contains(neverAckShare), (0...1).contains(slowShare), neverAckShare + slowShare <= 1 else {
            throw ValidationError("--never-ack-share and --slow-share must be from 0 to 1 and add up to at most 1")
        }
        guard maxInFlight >= 1, maxInFlight <= 100_000 else { throw ValidationError("--max-in-flight must be from 1 to 100000") }
        for (name, value) in [("--pull-max", pullMax), ("--slow-max", slowMax), ("--never-ack-max", neverAckMax)] {
            guard value >= 1, value <= 1000 else { throw ValidationError("\(name) must be from 1 to 1000 (the daemon's max_pull_events)") }
        }
        for (name, value) in [("--pull-every", pullEvery), ("--slow-every", slowEvery), ("--never-ack-every", neverAckEvery)] {
            guard value >= 0.01, value <= 3600 else { throw ValidationError("\(name) must be from 0.01 to 3600 seconds") }
        }
        guard pullWait >= 0, pullWait <= 30_000 else { throw ValidationError("--pull-wait must be from 0 to 30000") }
        guard workers >= 1, workers <= 1024 else { throw ValidationError("--workers must be from 1 to 1024") }
        guard replayEvery >= 0 else { throw ValidationError("--replay-every must not be negative") }
    }

    func run() async throws {
        let daemon = try await BenchDaemon.make(options)
        defer { daemon.stop() }
        let seconds = minutes * 60
        daemon.armWatchdog(seconds: seconds + options.timeout * 6 + 300)
        let tag = benchRunTag()
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                tlsConfiguration: daemon.consumer,
                connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: workers)))
        do {
            try await measure(daemon: daemon, client: client, tag: tag, seconds: seconds)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func measure(daemon: BenchDaemon, client: HTTPClient, tag: String, seconds: Int) async throws {
        let workers = self.workers
        let replayEvery = self.replayEvery
        let timeout = options.timeout
        let kinds = SoakSubscribers.kinds(
            count: subscriptions, neverAck: Int((Double(subscriptions) * neverAckShare).rounded()),
            slow: Int((Double(subscriptions) * slowShare).rounded()))
        let background = SoakSubscribers(
            baseURL: daemon.baseURL, client: client,
            subscriptions: kinds.enumerated().map { SoakSubscribers.Subscription(name: "soak-\(tag)-\($0.offset)", kind: $0.element) },
            paces: [
                .neverAck: .init(max: neverAckMax, waitMilliseconds: 0, everySeconds: neverAckEvery, acknowledges: false),
                .slow: .init(max: slowMax, waitMilliseconds: 0, everySeconds: slowEvery, acknowledges: true),
                .normal: .init(max: pullMax, waitMilliseconds: pullWait, everySeconds: pullEvery, acknowledges: true),
            ],
            timeoutSeconds: options.timeout)
        let pid = daemon.processIdentifier
        func memory() -> ProcessMemory? { pid.flatMap { ProcessMemory.read(pid: $0) } }

        // The memory a subscription costs: resident memory before and after creating them.
        try await Task.sleep(for: .seconds(2))
        let beforeCreate = memory()
        try await background.create(filter: options.topic, maxInFlight: maxInFlight, concurrency: min(workers, 32))
        try await Task.sleep(for: .seconds(3))
        let afterCreate = memory()

        let measured = "soak-\(tag)-measured"
        try await SubscriptionStreamReader.create(
            baseURL: daemon.baseURL, tls: daemon.consumer, name: measured, topic: options.topic, timeoutSeconds: options.timeout)
        if !options.json {
            print(
                "soak: \(rate) events/s of \(options.size) bytes for \(minutes) min to \(daemon.baseURL); "
                    + "\(subscriptions) subscriptions (\(kinds.filter { $0 == .neverAck }.count) never ack, "
                    + "\(kinds.filter { $0 == .slow }.count) slow, \(kinds.filter { $0 == .normal }.count) normal) "
                    + "+ 1 measured on a WebSocket stream; replay every \(replayEvery) min")
            if let beforeCreate, let afterCreate, subscriptions > 0 {
                print("memory: rss \(beforeCreate.rss / 1024) → \(afterCreate.rss / 1024) KiB, anon \(beforeCreate.anonymous / 1024) → \(afterCreate.anonymous / 1024) KiB after creating \(subscriptions) subscriptions")
            }
            fflush(nil)
        }

        let recorder = SoakRecorder()
        let total = rate * seconds
        let event = BenchEvent(topic: options.topic, size: options.size, run: tag)
        let publisher = WebSocketPublisher(url: daemon.webSocketURL, tls: daemon.publisher, event: event, timeoutSeconds: options.timeout)
        let reader = SubscriptionStreamReader(url: daemon.webSocketURL, tls: daemon.consumer, name: measured)
        let interval = 1e9 / Double(rate)
        let loadNanoseconds = UInt64(seconds) * 1_000_000_000
        let grace = UInt64(options.timeout) * 1_000_000_000
        let start = Locked<UInt64>(UInt64.max)
        let (readiness, ready) = AsyncStream.makeStream(of: Void.self)
        var minuteFigures: [SoakMinute] = []
        var replays: [SoakReplayer.Replay] = []
        var ioStart: ProcessIO?

        let outcome = try await withThrowingTaskGroup(of: SoakTaskResult.self) { group in
            group.addTask {
                do {
                    let result = try await reader.run(
                        expected: total, skipBelow: 0,
                        deadline: { start.value == UInt64.max ? UInt64.max : start.value + loadNanoseconds + grace },
                        ready: { ready.finish() }, observe: { latency, _ in recorder.delivered(latency) })
                    return .received(result)
                } catch {
                    ready.finish()
                    throw error
                }
            }
            for await _ in readiness {}
            let origin = monotonicNanoseconds() + 10_000_000
            start.value = origin
            let end = origin + loadNanoseconds
            group.addTask {
                let result = try await publisher.run(
                    first: 0, count: total, window: 4096, schedule: { origin + UInt64(Double($0) * interval) },
                    observe: { recorder.published($0) })
                return .published(result)
            }
            group.addTask {
                await background.run(workers: workers, deadline: end, recorder: recorder)
                return .background
            }
            if replayEvery > 0 {
                let every = UInt64(replayEvery) * 60_000_000_000
                group.addTask {
                    var replayer = SoakReplayer(daemon: daemon, timeoutSeconds: timeout)
                    var done: [SoakReplayer.Replay] = []
                    var due = origin + every
                    while due < end, !Task.isCancelled {
                        let now = monotonicNanoseconds()
                        if due > now { try await Task.sleep(nanoseconds: due - now) }
                        done.append(await replayer.replay(recorder: recorder))
                        due += every
                    }
                    return .replays(done)
                }
            }

            // Once a minute: what the clients recorded, and the daemon's samples.
            var cpu = CPUUsage.now(daemon: daemon)
            ioStart = ProcessIO.of(daemon)
            var writer = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
            for minute in 1...minutes {
                let due = origin + UInt64(minute) * 60_000_000_000
                let now = monotonicNanoseconds()
                if due > now { try await Task.sleep(nanoseconds: due - now) }
                let bucket = recorder.take()
                var figures = bucket.minute(minute)
                figures.memory = memory()
                let cpuNow = CPUUsage.now(daemon: daemon)
                if let server = cpuNow.server, let before = cpu.server { figures.daemonCores = Double(server &- before) / 60e9 }
                cpu = cpuNow
                let writerNow = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
                if let writerNow, let writer { figures.writerBusy = (writerNow.busySeconds - writer.busySeconds) / 60 }
                writer = writerNow
                figures.storeBytes = daemon.storeBytes
                figures.loadAverage = SoakMinute.readLoadAverage()
                minuteFigures.append(figures)
                if !options.json {
                    print(figures.line)
                    if let error = bucket.firstError { print("  first failure this minute: \(error)") }
                    fflush(nil)
                }
            }
            var outcome = SoakOutcome()
            for try await result in group {
                switch result {
                case .published(let value): outcome.published = value
                case .received(let value): outcome.received = value
                case .replays(let value): replays = value
                case .background: break
                }
            }
            return outcome
        }
        let late = recorder.take()
        let ioEnd = ProcessIO.of(daemon)

        // What the never-acknowledging subscriptions hold at the end, against the bound.
        let neverAckNames = background.subscriptions.filter { $0.kind == .neverAck }.map(\.name)
        let held = await background.pendingAndDeadLetters(of: neverAckNames)

        var report = EndToEndReport()
        report.add("mode", "soak")
        report.add("rate", rate)
        report.add("minutes", minutes)
        report.add("size", options.size)
        report.add("subscriptions", subscriptions)
        report.add("never_ack", neverAckNames.count)
        report.add("slow", kinds.filter { $0 == .slow }.count)
        report.add("normal", kinds.filter { $0 == .normal }.count)
        report.add("max_in_flight", maxInFlight)
        report.add("pending_bound", subscriptions * maxInFlight)
        if let held {
            report.add("never_ack_pending", held.pending)
            report.add("never_ack_dead_letters", held.deadLetters)
        }
        if let beforeCreate, let afterCreate, subscriptions > 0 {
            report.add("rss_before_subscriptions_mb", EndToEndReport.round(Double(beforeCreate.rss) / 1_048_576, places: 10))
            report.add("rss_after_subscriptions_mb", EndToEndReport.round(Double(afterCreate.rss) / 1_048_576, places: 10))
            report.add("rss_per_subscription_bytes", (afterCreate.rss - beforeCreate.rss) / subscriptions)
            report.add("rss_anon_per_subscription_bytes", (afterCreate.anonymous - beforeCreate.anonymous) / subscriptions)
        }
        let summary = SoakSummary(minuteFigures)
        summary.add(to: &report)
        report.add("events_per_s", (Double(summary.published) / Double(seconds)).rounded())
        // Everything the daemon wrote from the first minute's start to the last delivery,
        // background deliveries, acknowledgements and replays included, per event published.
        report.addDaemonWriteVolume(from: ioStart, to: ioEnd, events: summary.published)
        report.add("delivered_after_last_minute", late.deliveryLatencies.count)
        if let published = outcome.published { report.add("publish_errors", published.errors) }
        report.add("request_errors", minuteFigures.reduce(0) { $0 + $1.requestErrors } + late.requestErrors)
        report.add("replays", replays.count)
        if let hwm = minuteFigures.last?.memory?.highWater { report.add("hwm_mb", EndToEndReport.round(Double(hwm) / 1_048_576, places: 10)) }
        if let first = outcome.published?.firstError ?? outcome.received?.firstError { report.add("first_error", first) }
        if options.json {
            report.add("per_minute", minuteFigures.map(\.dictionary))
            report.add("replay_runs", replays.map(\.dictionary))
        }
        try report.print(json: options.json)
    }
}

/// What one of the soak's tasks ends with.
enum SoakTaskResult: Sendable {
    case published(WebSocketPublisher.Result)
    case received(SubscriptionStreamReader.Result)
    case replays([SoakReplayer.Replay])
    case background
}

/// What the publisher and the measured subscriber ended with.
struct SoakOutcome {
    var published: WebSocketPublisher.Result?
    var received: SubscriptionStreamReader.Result?
}
