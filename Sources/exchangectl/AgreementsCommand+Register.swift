import ArgumentParser
import ExchangeRouting
import Foundation
import NIOHTTP1

extension AgreementsCommand {
    /// `exchangectl agreements list [--json]`: the register of agreements.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the agreements of the running exchange with their status and routes (admin or auditor token).",
            discussion: """
                Reads GET /v1/agreements. STATUS is where the agreement stands now: pending (valid_from ahead), \
                in_force, lapsed (valid_until passed), suspended or revoked. ROUTED counts inbox entries made under \
                every version. Example:
                  exchangectl agreements list --token-file auditor.token
                """)

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print the answer as JSON.")
        var json = false

        func run() async throws {
            try await reportingFailures {
                let body = try await AgreementsCommand.get(connection, path: "/v1/agreements")
                if json {
                    FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
                    return
                }
                let document = try AgreementsCommand.object(body)
                let agreements = document["agreements"] as? [[String: Any]] ?? []
                var rows = [["ID", "VERSION", "STATUS", "PROVIDER", "CONSUMERS", "VALID FROM", "VALID UNTIL", "ROUTED", "LAST ROUTED"]]
                for agreement in agreements {
                    rows.append([
                        agreement["id"] as? String ?? "", "\(agreement["version"] as? Int ?? 0)", agreement["status"] as? String ?? "",
                        agreement["provider"] as? String ?? "", (agreement["consumers"] as? [String] ?? []).joined(separator: ","),
                        agreement["valid_from"].map { String(describing: $0).prefix(19).description } ?? "",
                        (agreement["valid_until"] as? String).map { String($0.prefix(19)) } ?? "-",
                        "\(agreement["events_routed"] as? Int ?? 0)",
                        (agreement["last_routed_at"] as? String).map { String($0.prefix(19)) } ?? "-",
                    ])
                }
                AgreementsCommand.printTable(rows)
                let counts = document["by_status"] as? [String: Int] ?? [:]
                print("\(agreements.count) agreements: " + Agreement.Standing.allCases.map { "\(counts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
            }
        }
    }

    /// `exchangectl agreements show ID`: one agreement of the register, as JSON.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one agreement of the running exchange (JSON): terms, status, versions, routes (admin or auditor token).",
            discussion: """
                Example:
                  exchangectl agreements show msa-tax-business-licences --token-file auditor.token
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The agreement id.")
        var id: String

        func run() async throws {
            try await reportingFailures {
                guard Agreement.isValidID(id) else {
                    throw ClientFailure(code: "agreement.invalid_id", detail: "'\(id.prefix(140))' is not an agreement id: 1 to 128 ASCII letters, digits, '-', '_', '.'")
                }
                let body = try await AgreementsCommand.get(connection, path: "/v1/agreements/\(id)")
                FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
            }
        }
    }

    /// Sends a GET and returns the answer's body; a problem answer becomes a `ClientFailure`.
    static func get(_ connection: ConnectionOptions, path: String) async throws -> [UInt8] {
        let client = try ExchangeClient(try connection.resolve())
        do {
            let (_, body) = try await client.send(client.request(.GET, path))
            await client.shutdown()
            return body
        } catch {
            await client.shutdown()
            throw error
        }
    }

    static func object(_ body: [UInt8]) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ClientFailure(code: "client.bad_answer", detail: "the exchange answered something that is not a JSON object")
        }
        return object
    }

    /// Prints rows as columns separated by two spaces; the first row is the header.
    static func printTable(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        var widths = header.map { _ in 0 }
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }
}
