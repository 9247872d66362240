import ExchangeStore

/// Loads a store before a run: `count` events, made by index, appended in atomic batches of
/// `chunk` from `workers` concurrent tasks, each batch the transaction a publish of as many
/// events makes.
enum ChunkedAppend {
    /// Appends the events `request(0)` ..< `request(count - 1)` into `store`.
    static func run(
        count: Int, into store: ExchangeStore, chunk: Int = 1000, workers: Int = 8, _ request: @escaping @Sendable (Int) -> AppendRequest
    ) async throws {
        let next = RegistryBenchmark.Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while true {
                        let first = next.take(chunk)
                        guard first < count else { return }
                        _ = try await store.append(contentsOf: (first..<min(count, first + chunk)).map(request))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
