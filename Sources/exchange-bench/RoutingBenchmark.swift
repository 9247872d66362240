import ArgumentParser
import ExchangeModel
import ExchangeRouting
import Foundation

/// `exchange-bench routing`: the cost of routing one event against a large agreement set.
struct RoutingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Measure routing latency per event with many agreements and departments.",
        discussion: """
            Builds a synthetic agreement set (each department owns six topics; agreements use exact, \
            '*' and '>' patterns, content patterns on attributes and data, field lists, a few suspended \
            or expired), then routes events on topics that agreements cover and times each call. \
            Run in a release build: swift run -c release exchange-bench routing --json
            """
    )

    @Option(help: "Number of agreements.")
    var agreements = 1000

    @Option(help: "Number of departments.")
    var departments = 200

    @Option(help: "Number of events to route (after a warm-up of 10% of them).")
    var events = 200_000

    @Option(help: "Seed of the synthetic data.")
    var seed: UInt64 = 42

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard departments >= 2 else { throw ValidationError("--departments must be at least 2") }
        guard agreements >= 1, events >= 1 else { throw ValidationError("--agreements and --events must be at least 1") }
    }

    func run() throws {
        var rng = SplitMix64(seed: seed)
        let buildStart = ContinuousClock.now
        let world = SyntheticWorld(departments: departments, agreements: agreements, rng: &rng)
        let set = try AgreementSet(departments: world.departments, topics: world.topics, agreements: world.agreements)
        let buildTime = ContinuousClock.now - buildStart
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let pool = world.events(count: 4096, set: set, rng: &rng)

        let warmup = max(events / 10, 1)
        var sink = 0
        for index in 0..<warmup {
            let (event, publisher) = pool[index % pool.count]
            sink &+= set.route(event, from: publisher, at: now).routes.count
        }

        var samples = [Int64](repeating: 0, count: events)
        var routes = 0
        var parsed = 0
        let clock = ContinuousClock()
        let totalStart = clock.now
        for index in 0..<events {
            let (event, publisher) = pool[index % pool.count]
            let start = clock.now
            let result = set.route(event, from: publisher, at: now)
            let elapsed = clock.now - start
            samples[index] = elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000
            routes += result.routes.count
            if result.data != nil || result.dataError != nil { parsed += 1 }
        }
        let total = clock.now - totalStart
        sink &+= routes
        samples.sort()
        let totalNanoseconds = Double(total.components.seconds) * 1e9 + Double(total.components.attoseconds) / 1e9
        let meanMicroseconds = Double(samples.reduce(0, +)) / Double(events) / 1000
        func percentile(_ p: Double) -> Double {
            Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000
        }
        let report: [(String, String)] = [
            ("benchmark", "\"routing\""),
            ("agreements", "\(agreements)"),
            ("departments", "\(departments)"),
            ("topics", "\(world.topics.count)"),
            ("events", "\(events)"),
            ("mean_us", format(meanMicroseconds)),
            ("p50_us", format(percentile(0.50))),
            ("p90_us", format(percentile(0.90))),
            ("p99_us", format(percentile(0.99))),
            ("max_us", format(Double(samples.last ?? 0) / 1000)),
            ("events_per_second", format(Double(events) / (totalNanoseconds / 1e9))),
            ("mean_routes", format(Double(routes) / Double(events))),
            ("data_parsed_fraction", format(Double(parsed) / Double(events))),
            ("build_ms", format(Double(buildTime.components.seconds) * 1000 + Double(buildTime.components.attoseconds) / 1e15)),
        ]
        if json {
            print("{" + report.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        } else {
            for (name, value) in report { print("\(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(value)") }
        }
        if sink == -1 { print("") }
    }

    func format(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}

/// A deterministic random number generator, so runs are comparable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
