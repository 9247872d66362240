import ArgumentParser
import Foundation

/// `exchange-bench latency`: publishes at a fixed rate over `WS /v1/publish` and measures, for
/// each event, the time from its scheduled publish to its arrival at a subscriber on
/// `WS /v1/subscriptions/{name}/stream`.
///
/// Each event carries its scheduled send time (monotonic clock) in its data, so a late sender
/// is charged to the latency rather than hidden (no coordinated omission).
///
/// ```
/// exchange-bench latency --rate 2000 --duration 30 --preload 1000000 --replay-while --json
/// ```
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Publish at a fixed rate and measure publish-to-subscriber latency end to end.",
        discussion: """
            Publishes rate × (duration + 1) events (one untimed warm-up second); --count is not used. \
            With --replay-while, a quiet phase of --duration seconds is followed by a phase of \
            --duration seconds during which an auditor replays the whole log over and over \
            (GET /v1/replay from sequence 0, one replay after the other); the figures of each phase \
            carry the prefix quiet_ or replay_, and replay_p99_over_quiet is the ratio of their \
            delivery p99. With --preload N the store holds N events before the daemon starts.

            """ + "\n" + EndToEndReport.writeVolumeHelp)

    @OptionGroup var options: EndToEndOptions

    @Option(help: "Events per second.")
    var rate = 2000

    @Option(help: "Seconds of measured load per phase (after one warm-up second, not counted).")
    var duration = 10

    @Option(
        help: """
            Events written into the store before the daemon starts (the store's batch append, the \
            transactions publishes make, without HTTP), so that the measurement runs on a large \
            store. 0: none. Needs a daemon started here (no --url).
            """)
    var preload = 0

    @Flag(help: "After the quiet phase, measure a second phase while an auditor replays the whole log repeatedly. Needs a daemon started here.")
    var replayWhile = false

    func validate() throws {
        try options.validateCommon()
        guard rate >= 1, rate <= 1_000_000 else { throw ValidationError("--rate must be from 1 to 1000000") }
        guard duration >= 1, duration <= 3600 else { throw ValidationError("--duration must be from 1 to 3600") }
        guard preload >= 0, preload <= 50_000_000 else { throw ValidationError("--preload must be from 0 to 50000000") }
        guard rate * duration <= 100_000_000 else { throw ValidationError("--rate × --duration must be at most 100000000") }
        if options.url != nil, preload > 0 || replayWhile {
            throw ValidationError("--preload and --replay-while need a daemon started here (leave out --url)")
        }
    }

    func run() async throws {
        let preloaded = Locked<BenchPreload.Outcome?>(nil)
        let daemon: BenchDaemon
        if preload > 0 {
            if !options.json { print("preloading \(preload) events into the store...") }
            let count = preload
            let size = options.size
            daemon = try await BenchDaemon.start(timeoutSeconds: options.timeout * 4, storeSettings: options.storeSettings) { directory in
                preloaded.value = try await BenchPreload.load(into: directory, count: count, size: size)
            }
        } else {
            daemon = try await BenchDaemon.make(options)
        }
        defer { daemon.stop() }
        let phaseCount = replayWhile ? 2 : 1
        daemon.armWatchdog(seconds: options.timeout * 4 + duration * phaseCount * 4)
        let warmup = rate
        let perPhase = rate * duration
        let total = warmup + perPhase * phaseCount
        let phases = LatencyPhases(warmup: warmup, perPhase: perPhase, phases: phaseCount)
        let name = "bench-latency-" + benchRunTag()
        try await SubscriptionStreamReader.create(
            baseURL: daemon.baseURL, tls: daemon.consumer, name: name, topic: options.topic, timeoutSeconds: options.timeout)
        if !options.json {
            print(
                "publishing \(rate) events/s of \(options.size) bytes for 1 + \(duration)\(replayWhile ? " quiet + \(duration) under replays" : "") s "
                    + "to \(daemon.baseURL), receiving on subscription \(name)...")
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
        let timeout = options.timeout
        let replayWhile = self.replayWhile
        // Samples at the start of each phase; the end is sampled once everything arrived.
        var phaseStarts: [(io: ProcessIO?, writer: WriterFigures?)] = []
        var replayOutcome: SoakRecorder.Bucket?
        var replayRuns = 0
        let (published, received) = try await withThrowingTaskGroup(of: LatencyTaskResult.self) { group in
            group.addTask {
                do {
                    let result = try await reader.run(
                        expected: total, skipBelow: warmup,
                        deadline: { start.value == UInt64.max ? UInt64.max : start.value + durationNanoseconds + grace },
                        ready: { ready.finish() }, observe: { latency, index in phases.delivered(latency, index: index) })
                    return .received(result)
                } catch {
                    ready.finish()
                    throw error
                }
            }
            for await _ in readiness {}
            let origin = monotonicNanoseconds() + 10_000_000
            start.value = origin
            func boundary(_ phase: Int) -> UInt64 { origin + UInt64(Double(warmup + phase * perPhase) * interval) }
            group.addTask {
                let result = try await publisher.run(
                    first: 0, count: total, window: 4096, schedule: { origin + UInt64(Double($0) * interval) })
                return .published(result)
            }
            if replayWhile {
                let from = boundary(1)
                let until = boundary(2)
                group.addTask {
                    let now = monotonicNanoseconds()
                    if from > now { try await Task.sleep(nanoseconds: from - now) }
                    let recorder = SoakRecorder()
                    var runs = 0
                    // Each replay starts from sequence 0: the whole log, every time.
                    while monotonicNanoseconds() < until, !Task.isCancelled {
                        var replayer = SoakReplayer(daemon: daemon, timeoutSeconds: timeout)
                        _ = await replayer.replay(recorder: recorder)
                        runs += 1
                    }
                    return .replays(recorder.take(), runs)
                }
            }
            for phase in 0..<phaseCount {
                let due = boundary(phase)
                let now = monotonicNanoseconds()
                if due > now { try await Task.sleep(nanoseconds: due - now) }
                let io = ProcessIO.of(daemon)
                let writer = await WriterFigures.scrape(daemon, timeoutSeconds: timeout)
                phaseStarts.append((io, writer))
            }
            var published: WebSocketPublisher.Result?
            var received: SubscriptionStreamReader.Result?
            for try await result in group {
                switch result {
                case .published(let value): published = value
                case .received(let value): received = value
                case .replays(let bucket, let runs): (replayOutcome, replayRuns) = (bucket, runs)
                }
            }
            return (published!, received!)
        }
        let ioEnd = ProcessIO.of(daemon)
        let writerAfter = await WriterFigures.scrape(daemon, timeoutSeconds: options.timeout)
        let measuredAcks = Array(published.latencies.dropFirst(warmup))
        let deliveries = phases.deliveries
        var report = EndToEndReport()
        report.add("mode", "latency")
        report.add("rate", rate)
        report.add("duration_s", duration)
        report.add("size", options.size)
        if let outcome = preloaded.value {
            report.add("preload", preload)
            report.add("preload_s", EndToEndReport.round(outcome.seconds))
            report.add("preload_events_per_s", (Double(preload) / outcome.seconds).rounded())
            // The load is this process's own appends: its wchar is the store's bytes.
            report.addOwnWriteVolume(from: outcome.io.before, to: outcome.io.after, events: preload, prefix: "preload_")
        }
        report.add("replay_while", replayWhile)
        report.add("published", total - published.errors)
        report.add("delivered", received.received)
        let allDeliveries: [UInt64] = deliveries.flatMap { $0 }
        let measuredSeconds = Double(duration * phaseCount)
        report.add("events_per_s", (Double(allDeliveries.count) / measuredSeconds).rounded())
        report.add(LatencySummary(nanoseconds: allDeliveries))
        report.add(LatencySummary(nanoseconds: measuredAcks), prefix: "ack_")
        report.add("errors", published.errors + received.errors)
        // Over the measured phases, from the first phase's start until the last delivery.
        report.addDaemonWriteVolume(from: phaseStarts.first?.io, to: ioEnd, events: perPhase * phaseCount)
        // Over the whole schedule, the warm-up second included.
        if let writerBefore, let writerAfter {
            writerAfter.report(since: writerBefore, seconds: Double(total) / Double(rate), into: &report)
        }
        if replayWhile, phaseStarts.count == 2 {
            let acks = phases.split(published.latencies)
            let ends: [(io: ProcessIO?, writer: WriterFigures?)] = [phaseStarts[1], (ioEnd, writerAfter)]
            for (phase, prefix) in ["quiet_", "replay_"].enumerated() {
                report.add(LatencySummary(nanoseconds: deliveries[phase]), prefix: prefix)
                report.add(LatencySummary(nanoseconds: acks[phase]), prefix: prefix + "ack_")
                report.addDaemonWriteVolume(from: phaseStarts[phase].io, to: ends[phase].io, events: perPhase, prefix: prefix)
                if let before = phaseStarts[phase].writer, let after = ends[phase].writer {
                    after.report(since: before, seconds: Double(duration), into: &report, prefix: prefix)
                }
            }
            let quiet = LatencySummary(nanoseconds: deliveries[0])
            let loaded = LatencySummary(nanoseconds: deliveries[1])
            report.add("replay_p99_over_quiet", EndToEndReport.orNull(quiet.p99 > 0 ? EndToEndReport.round(loaded.p99 / quiet.p99, places: 100) : nil))
            report.add("replays", replayRuns)
            if let replayOutcome {
                report.add("replayed_events", replayOutcome.replayed)
                report.add("replay_events_per_s", replayOutcome.replaySeconds > 0 ? (Double(replayOutcome.replayed) / replayOutcome.replaySeconds).rounded() : 0)
                report.add("replay_errors", replayOutcome.requestErrors)
                if let first = replayOutcome.firstError { report.add("replay_first_error", first) }
            }
        }
        if let first = published.firstError ?? received.firstError { report.add("first_error", first) }
        try report.print(json: options.json)
    }
}

/// What one of the latency mode's tasks ends with.
enum LatencyTaskResult: Sendable {
    case published(WebSocketPublisher.Result)
    case received(SubscriptionStreamReader.Result)
    case replays(SoakRecorder.Bucket, Int)
}
