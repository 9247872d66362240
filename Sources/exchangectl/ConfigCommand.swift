import ArgumentParser
import ExchangeConfig
import ExchangeStore

/// `exchangectl config check PATH`: the daemon's own validation of a configuration file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with the exchange configuration.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file exactly as exchanged does, including its TLS files.")

        @Argument(help: "The configuration file.")
        var path = "Config/exchange.yaml"

        func run() throws {
            let configuration: ExchangeConfiguration
            do {
                configuration = try ExchangeConfiguration.load(path: path)
            } catch {
                throw ValidationError("\(error)")
            }
            let server = configuration.server
            do {
                _ = try server.makeTLSConfiguration()
            } catch {
                throw ValidationError("\(error)")
            }
            print("\(path): valid")
            print("  listen       \(server.host):\(server.port)")
            print("  certificate  \(server.certificatePath)")
            print("  client CA    \(server.clientCAPath) (client certificate \(server.requireClientCertificate ? "required" : "optional, verified when presented"))")
            print("  tokens       \(server.tokensPath ?? "none")")
            print("  store        \(configuration.store.directory)")
        }
    }
}
