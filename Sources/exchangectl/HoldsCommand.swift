import ArgumentParser
import Foundation
import NIOHTTP1

/// `exchangectl holds`: legal holds, which keep what they cover from retention.
struct HoldsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holds",
        abstract: "List, set and lift legal holds, which keep what they cover from retention.",
        discussion: """
            A hold covers a topic (every event of it) or a topic pattern such as case.outcome.> (every \
            topic it matches), an agreement (every event routed under it), a department (every event it \
            published or was routed) or a subject (every event with that CloudEvents subject, byte for \
            byte). Topics, agreements and departments must be declared in the configuration. Setting and lifting take an admin token and are written to the audit log \
            (legal_hold); listing takes an admin or auditor token. See docs/operations.md, "Legal holds".
            """,
        subcommands: [List.self, SetHold.self, Lift.self]
    )

    /// `exchangectl holds list [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the legal holds that stand (admin or auditor token).",
            discussion: """
                One line a hold: ID, SCOPE, VALUE, SET BY, SET AT, REASON. Example:
                  exchangectl holds list --token-file auditor.token
                """)

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print the answer as JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let body = try await HoldsCommand.send(connection, .GET, "/v1/holds")
                if json {
                    FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
                    return
                }
                let document = try AgreementsCommand.object(body)
                let holds = document["holds"] as? [[String: Any]] ?? []
                var rows = [["ID", "SCOPE", "VALUE", "SET BY", "SET AT", "REASON"]]
                for hold in holds { rows.append(HoldsCommand.row(hold)) }
                AgreementsCommand.printTable(rows)
                print("\(holds.count) legal holds")
            }
        }
    }

    /// `exchangectl holds set SCOPE VALUE --reason TEXT`.
    struct SetHold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set a legal hold (admin token).",
            discussion: """
                Prints the hold (ID, SCOPE, VALUE, SET BY, SET AT, REASON). Setting a hold that already \
                stands prints it and changes nothing. Example:
                  exchangectl holds set subject 91330100MA2KX0001X --reason "case 2026-17" --token-file admin.token
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "topic, agreement, department or subject.")
        var scope: String

        @Argument(help: "The topic or topic pattern (a.b.>), agreement id, department id or subject; it must be declared (subjects excepted).")
        var value: String

        @Option(help: "Why: a case number, an order (required, at most 256 bytes).")
        var reason: String

        func run() async throws {
            try await reportingFailures {
                guard ["topic", "agreement", "department", "subject"].contains(scope) else {
                    throw ClientFailure(code: "hold.invalid", detail: "scope must be one of topic, agreement, department, subject")
                }
                let request = try JSONSerialization.data(withJSONObject: ["scope": scope, "value": value, "reason": reason], options: [.sortedKeys])
                let body = try await HoldsCommand.send(connection, .POST, "/v1/holds", body: Array(request))
                print(HoldsCommand.row(try AgreementsCommand.object(body)).joined(separator: "\t"))
            }
        }
    }

    /// `exchangectl holds lift ID`.
    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lift a legal hold (admin token); what it kept that expired is removed by the next retention steps.",
            discussion: """
                Prints the hold lifted. Example:
                  exchangectl holds lift 3 --token-file admin.token
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The hold's id (exchangectl holds list).")
        var id: String

        func run() async throws {
            try await reportingFailures {
                // As the daemon reads it: digits only, no leading zero or sign.
                guard id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), !id.hasPrefix("0"), let number = UInt64(id), number >= 1
                else {
                    throw ClientFailure(code: "hold.invalid", detail: "'\(id.prefix(40))' is not a hold id: a whole number from 1")
                }
                let body = try await HoldsCommand.send(connection, .DELETE, "/v1/holds/\(number)")
                print(HoldsCommand.row(try AgreementsCommand.object(body)).joined(separator: "\t"))
            }
        }
    }

    static func row(_ hold: [String: Any]) -> [String] {
        [
            "\(hold["id"] as? Int ?? 0)", hold["scope"] as? String ?? "", hold["value"] as? String ?? "", hold["set_by"] as? String ?? "",
            (hold["set_at"] as? String).map { String($0.prefix(19)) } ?? "", hold["reason"] as? String ?? "",
        ]
    }

    /// Sends a request and returns the answer's body; a problem answer becomes a `ClientFailure`.
    static func send(_ connection: ConnectionOptions, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        let client = try ExchangeClient(try connection.resolve())
        do {
            let (_, answer) = try await client.send(client.request(method, path, contentType: body == nil ? nil : "application/json", body: body))
            await client.shutdown()
            return answer
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
