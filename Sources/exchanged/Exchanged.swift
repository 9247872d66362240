import ArgumentParser

/// The exchange daemon.
@main
struct Exchanged: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanged",
        abstract: "Run the Data Exchange daemon."
    )

    func run() async throws {}
}
