import Foundation
import Testing

/// The client commands of the real `exchangectl` binary: option resolution and how failures are
/// reported, without a daemon (end-to-end publishing and subscribing live with the daemon tests).
@Suite("exchangectl client options")
struct ExchangeCtlClientTests {
    struct Missing: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "exchangectl was not built; run `swift build --build-tests` first (looked in \(searched))" }
    }

    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func locate() throws -> URL {
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("exchangectl"))
            directory = directory.deletingLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/exchangectl"))
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw Missing(searched: candidates.map(\.path))
    }

    static func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = try locate()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var variables = ProcessInfo.processInfo.environment
        variables["EXCHANGE_TOKEN"] = nil
        variables.merge(environment) { $1 }
        process.environment = variables
        let output = directory.file("stdout-\(UUID().uuidString)")
        let errors = directory.file("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, standardOutput: try String(contentsOfFile: output, encoding: .utf8),
            standardError: try String(contentsOfFile: errors, encoding: .utf8))
    }

    /// A directory with an event file and a development PKI layout (the files need only exist
    /// for option resolution).
    static func workspace() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("Config/pki/clients"), withIntermediateDirectories: true)
        for name in ["Config/pki/ca.crt", "Config/pki/clients/tax-bureau.crt", "Config/pki/clients/tax-bureau.key"] {
            _ = try directory.write(name, "not used\n")
        }
        _ = try directory.write(
            "event.json", #"{"specversion":"1.0","id":"e-1","type":"licence.issued","topic":"licence.business.issued"}"#)
        return directory
    }

    @Test func departmentWithoutCertificateIsAUsageError() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["publish", "--department", "nobody", "event.json"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("Config/pki/clients/nobody.crt: no such file"))
    }

    @Test func certificateNeedsKey() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["publish", "--cert", "Config/pki/clients/tax-bureau.crt", "event.json"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--cert and --key go together"))
    }

    @Test func certificateAndTokenExcludeEachOther() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--department", "tax-bureau", "--token", "secret"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("not both"))
    }

    @Test func publishNeedsOneInput() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let none = try Self.run(["publish", "--department", "tax-bureau"], in: directory)
        #expect(none.status == 64)
        let both = try Self.run(["publish", "--department", "tax-bureau", "--batch", "event.json", "event.json"], in: directory)
        #expect(both.status == 64)
        #expect(both.standardError.contains("--batch FILE"))
    }

    @Test func subscribeChecksStartAndFilter() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let start = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--filter", "licence.>", "--start", "yesterday"], in: directory)
        #expect(start.status == 64)
        #expect(start.standardError.contains("--start yesterday: expected all, new, a sequence number or an RFC 3339 time"))
        let create = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--create"], in: directory)
        #expect(create.status == 64)
        #expect(create.standardError.contains("--create needs --filter"))
        let filter = try Self.run(["subscribe", "--department", "tax-bureau", "s", "--filter", "licence..x"], in: directory)
        #expect(filter.status == 64)
    }

    @Test func replayChecksTimes() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--department", "tax-bureau", "--from-time", "monday"], in: directory)
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("--from-time monday: not an RFC 3339 time"))
    }

    /// An unreachable exchange is one `error:` line and status 1, nothing on standard output.
    @Test func unreachableExchangeIsOneErrorLine() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(["replay", "--url", "http://127.0.0.1:1", "--token", "secret"], in: directory)
        #expect(outcome.status == 1)
        #expect(outcome.standardOutput.isEmpty)
        let lines = outcome.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("error: cannot reach http://127.0.0.1:1") == true)
    }

    /// The token comes from `EXCHANGE_TOKEN` when `--token` is absent, and a client certificate
    /// then wins over it rather than being refused.
    @Test func tokenFromEnvironmentDoesNotConflictWithCertificate() throws {
        let directory = try Self.workspace()
        defer { directory.remove() }
        let outcome = try Self.run(
            ["replay", "--url", "http://127.0.0.1:1", "--department", "tax-bureau"], in: directory, environment: ["EXCHANGE_TOKEN": "secret"])
        // A certificate over plain http is refused: the certificate was taken, not the token.
        #expect(outcome.status == 64)
        #expect(outcome.standardError.contains("is not https"))
    }
}
