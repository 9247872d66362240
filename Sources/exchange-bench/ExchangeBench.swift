import ArgumentParser

/// The benchmark harness: measures the store, routing and the daemon in release builds.
@main
struct ExchangeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange-bench",
        abstract: "Measure Data Exchange throughput and latency.",
        subcommands: [
            StoreBenchmark.self, RoutingBenchmark.self, PublishHTTPBenchmark.self, PublishWebSocketBenchmark.self,
            LatencyBenchmark.self, FanoutBenchmark.self, GrowthBenchmark.self, SoakBenchmark.self, ReplayBenchmark.self, RegistryBenchmark.self, ConsoleBenchmark.self, AuditProofBenchmark.self, StoreCrashWorker.self,
        ]
    )
}
