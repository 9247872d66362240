import ArgumentParser
import ExchangeConfig
import ExchangeRouting
import ExchangeStore
import Foundation
import NIOHTTP1

/// `exchangectl registry get|search|rebuild`: query the licence registry, or recompute it from
/// the log.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Query the registry, or recompute it from the event log.",
        subcommands: [Get.self, Search.self, Rebuild.self])

    /// `exchangectl registry get COLLECTION KEY [--history]`.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the current state of one entry (JSON).",
            discussion: """
                Example, against `make run`:
                  exchangectl registry get licences 91330100MA2KX0001X --department service-portal --history
                  exchangectl registry get licences 91330100MA2KX0001X --token "$AUDITOR_TOKEN" --history --history-cursor 1234
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The collection, e.g. licences.")
        var collection: String

        @Argument(help: "The entry's key (the licence number).")
        var key: String

        @Flag(help: "Include the entry's history (one page of it: see --history-limit).")
        var history = false

        @Option(help: "History items per answer, 1 to 1000 (default 100); needs --history.")
        var historyLimit: Int?

        @Option(help: "The history_next_cursor of the previous answer, to continue the history; needs --history.")
        var historyCursor: String?


        func run() async throws {
            try await reportingFailures {
                var query: [(String, String)] = history ? [("history", "true")] : []
                if let historyLimit { query.append(("history_limit", String(historyLimit))) }
                if let historyCursor { query.append(("history_cursor", historyCursor)) }
                try await RegistryCommand.print(connection, path: "/v1/registry/\(collection)/\(key)", query: query)
            }
        }
    }

    /// `exchangectl registry search COLLECTION [--holder ...] ...`.
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one page of matching entries (JSON), with next_cursor when there are more.",
            discussion: """
                Example, against `make run`:
                  exchangectl registry search licences --holder 91330100MA2KX0001X --department service-portal
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The collection, e.g. licences.")
        var collection: String

        @Option(help: "The holder identifier (e.g. unified social credit code).")
        var holder: String?

        @Option(help: "The licence type.")
        var type: String?

        @Option(help: "valid, suspended, revoked, expired or not_issued.")
        var status: String?

        @Option(help: "The issuing department.")
        var issuer: String?

        @Option(help: "Only entries whose last day of validity is before this day (YYYY-MM-DD).")
        var expiresBefore: String?

        @Option(help: "Entries per page, 1 to 1000.")
        var limit: Int?

        @Option(help: "The next_cursor of the previous page.")
        var cursor: String?


        func run() async throws {
            try await reportingFailures {
                var query: [(String, String)] = []
                for (name, value) in [("holder", holder), ("type", type), ("status", status), ("issuer", issuer), ("expires_before", expiresBefore), ("cursor", cursor)] {
                    if let value { query.append((name, value)) }
                }
                if let limit { query.append(("limit", String(limit))) }
                try await RegistryCommand.print(connection, path: "/v1/registry/\(collection)", query: query)
            }
        }
    }

    /// `exchangectl registry rebuild [--config PATH] [--write]`: offline, on the data directory.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every registry collection from the event log and compare it with the stored one.",
            discussion: """
                Works offline on the data directory of the configuration (stop exchanged first): \
                reads topics.yaml for the feeding topics, replays every event through the same \
                function the live update uses, and compares entries and index keys both ways. \
                Exits 0 when the stored registry matches, 1 when it differs. With --write, the \
                stored registry is first replaced by the recomputed one (after upgrading a store \
                of format 2, or after changing which topics feed which collection); if that is \
                interrupted, exchanged refuses to start until it is run again to the end.

                Example:
                  exchangectl registry rebuild --config Config/exchange.yaml
                """)

        @Option(help: "The configuration file (for the data directory).")
        var config = "Config/exchange.yaml"

        @Option(help: "The directory of departments.yaml and topics.yaml. Default: the configuration file's directory.")
        var agreements: String?

        @Option(help: "The data directory, instead of the configuration's store.directory.")
        var dataDir: String?

        @Flag(help: "Replace the stored registry with the recomputed one before comparing.")
        var write = false

        func run() async throws {
            var storeConfiguration: StoreConfiguration
            do {
                storeConfiguration = try ExchangeConfiguration.load(path: config).store
            } catch {
                throw ValidationError("\(config): \(error)")
            }
            if let dataDir { storeConfiguration.directory = dataDir }
            let directory = agreements ?? URL(fileURLWithPath: config).deletingLastPathComponent().path
            guard let set = ConfigurationLoader(directory: directory).load().set else {
                throw ValidationError("\(directory): the configuration does not load; run exchangectl config check")
            }
            let store = try ExchangeStore(configuration: storeConfiguration)
            defer { store.close() }
            let started = ContinuousClock.now
            let report = try await store.rebuildRegistry(feeds: set.registryFeeds, write: write)
            let elapsed = ContinuousClock.now - started
            Swift.print("events read     \(report.eventsRead)")
            Swift.print("events applied  \(report.eventsApplied)")
            for (collection, count) in report.entries.sorted(by: { $0.key < $1.key }) {
                Swift.print("collection      \(collection): \(count) entries")
            }
            Swift.print("index keys      \(report.indexKeys)")
            Swift.print("history items   \(report.historyItems)")
            if report.written { Swift.print("written         the stored registry was replaced") }
            Swift.print("time            \(elapsed)")
            if report.matches {
                Swift.print("result          the stored registry matches the log")
            } else {
                Swift.print("result          \(report.differenceCount) differences")
                for difference in report.differences { Swift.print("  \(difference)") }
                throw ExitCode(1)
            }
        }
    }

    /// Sends a GET and prints the JSON answer.
    static func print(_ connection: ConnectionOptions, path: String, query: [(String, String)]) async throws {
        let client = try ExchangeClient(try connection.resolve())
        do {
            let (_, body) = try await client.send(client.request(.GET, path, query: query))
            FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
