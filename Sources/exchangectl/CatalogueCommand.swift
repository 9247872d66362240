import ArgumentParser
import Foundation

/// `exchangectl catalogue [--json]`: the data-sharing catalogue of the running exchange.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue",
        abstract: "List the data-sharing catalogue (资源目录): the topics with catalogue metadata (any role).",
        discussion: """
            Reads GET /v1/catalogue. SHARING is unconditional (无条件共享), conditional (有条件共享) or \
            not_shared (不予共享). Example:
              exchangectl catalogue --department tax-bureau
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the answer as JSON.")
    var json = false

    func run() async throws {
        try await reportingFailures {
            let body = try await AgreementsCommand.get(connection, path: "/v1/catalogue")
            if json {
                FileHandle.standardOutput.write(Data(body + [UInt8(ascii: "\n")]))
                return
            }
            let resources = try AgreementsCommand.object(body)["resources"] as? [[String: Any]] ?? []
            var rows = [["RESOURCE CODE", "TOPIC", "SHARING", "UPDATE CYCLE", "PUBLISHED", "PROVIDER", "NAME"]]
            for resource in resources {
                rows.append([
                    resource["resource_code"] as? String ?? "", resource["topic"] as? String ?? "",
                    resource["sharing_type"] as? String ?? "", resource["update_cycle"] as? String ?? "-",
                    resource["publication_date"] as? String ?? "-", resource["provider"] as? String ?? "",
                    resource["name"] as? String ?? "",
                ])
            }
            AgreementsCommand.printTable(rows)
            print("\(resources.count) resources")
        }
    }
}
