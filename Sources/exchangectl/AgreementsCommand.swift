import ArgumentParser
import ExchangeModel
import ExchangeRouting
import Foundation

/// `exchangectl agreements`: work with data-sharing agreements.
struct AgreementsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreements",
        abstract: "Check data-sharing agreements, explain routing, list the register of a running exchange.",
        subcommands: [Check.self, List.self, Show.self]
    )

    /// `exchangectl agreements check [DIR] [--event FILE] [--publisher ID] [--at TIME]`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lint departments, topics and agreements; show who would receive a sample event.",
            discussion: """
                Loads DIR/departments.yaml, DIR/topics.yaml and DIR/agreements/*.yaml with the daemon's own \
                validation. Each error is printed on one line as file:line:column: key: message [code], and \
                the command exits with status 1. With --event, routes the structured-mode CloudEvent in FILE \
                and prints, per consumer, the agreement that carries it and the data the consumer would see.
                """
        )

        @Argument(help: "The configuration directory.")
        var directory: String = "Config"

        @Option(name: .long, help: "A structured-mode CloudEvent JSON file to route.")
        var event: String?

        @Option(name: .long, help: "The publishing department (default: the event's source).")
        var publisher: String?

        @Option(name: .long, help: "The instant to evaluate at, RFC 3339 (default: now).")
        var at: String?

        func run() async throws {
            let result = ConfigurationLoader(directory: directory).load()
            let errors = result.report.allErrors
            for error in errors {
                printError(error.description)
            }
            guard let set = result.set else { throw ExitCode.failure }
            var now = Date()
            if let at {
                guard let parsed = RFC3339.date(at) else {
                    printError("--at: '\(at)' is not an RFC 3339 timestamp")
                    throw ExitCode.failure
                }
                now = parsed
            }
            // In force today, not merely `status: active`: an agreement past its valid_until
            // routes nothing.
            var counts: [Agreement.Standing: Int] = [:]
            for agreement in set.agreements { counts[agreement.standing(at: now), default: 0] += 1 }
            let others = Agreement.Standing.allCases.filter { $0 != .inForce }.map { "\(counts[$0] ?? 0) \($0.rawValue)" }
            print(
                "\(directory): \(set.departments.count) departments, \(set.topics.count) topics, \(set.agreements.count) agreements "
                    + "(\(counts[.inForce] ?? 0) in force\(at == nil ? " today" : " at \(at!)"), \(others.joined(separator: ", ")))"
                    + "\(errors.isEmpty ? "" : ", \(result.report.refused.count) refused")")
            for agreement in set.agreements {
                let standing = agreement.standing(at: now)
                if standing == .lapsed, let until = agreement.validUntil {
                    print("  \(agreement.id) v\(agreement.version): lapsed at \(RFC3339.format(nanoseconds: UInt64(max(0, until.timeIntervalSince1970)) * 1_000_000_000))")
                } else if standing == .pending {
                    print("  \(agreement.id) v\(agreement.version): pending until \(RFC3339.format(nanoseconds: UInt64(max(0, agreement.validFrom.timeIntervalSince1970)) * 1_000_000_000))")
                }
            }
            if let event {
                try explain(event, in: set)
            }
            if !errors.isEmpty { throw ExitCode.failure }
        }

        func explain(_ file: String, in set: AgreementSet) throws {
            var instant = Date()
            if let at {
                guard let parsed = RFC3339.date(at) else {
                    printError("--at: '\(at)' is not an RFC 3339 timestamp")
                    throw ExitCode.failure
                }
                instant = parsed
            }
            let envelope: Envelope
            do {
                envelope = try CloudEventFile.read(file)
            } catch {
                printError("\(file): \(error)")
                throw ExitCode.failure
            }
            var routed = envelope
            let publisherText = publisher ?? envelope.source
            guard let department = DepartmentID(publisherText) else {
                printError("\(file): publisher '\(publisherText)' is not a valid department id")
                throw ExitCode.failure
            }
            routed.source = department.rawValue
            print("event \(envelope.id) on \(envelope.topic) from \(department):")
            let result = set.route(routed, from: department, at: instant)
            if let denial = result.denial {
                printError("\(file): publish denied: \(denial)")
                throw ExitCode.failure
            }
            if let dataError = result.dataError {
                print("  note: data is not JSON (\(dataError)); agreements with data patterns do not match")
            }
            if result.routes.isEmpty {
                print("  no consumer would receive it (no agreement in force matches)")
                return
            }
            for decision in set.recheck(result.routes, envelope: routed, at: instant) {
                switch decision {
                case .deliver(let delivery):
                    let data = String(decoding: delivery.data, as: UTF8.self)
                    print("  \(delivery.route.consumer) via \(delivery.route.agreementID) v\(delivery.route.agreementVersion)\(delivery.isProjected ? " (projected)" : ""): \(data)")
                case .withhold(let reason):
                    print("  withheld: \(reason)")
                }
            }
        }
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
