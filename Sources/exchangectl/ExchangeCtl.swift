import ArgumentParser
import Foundation

/// The operator and client command line of the exchange.
@main
struct ExchangeCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchangectl",
        abstract: "Operate and use a Data Exchange.",
        discussion: """
            CONNECTION: client commands find the exchange and their identity from, in order, their \
            options; the environment (EXCHANGE_URL, EXCHANGE_DEPARTMENT, EXCHANGE_PKI, EXCHANGE_CA, \
            EXCHANGE_CERT, EXCHANGE_KEY, EXCHANGE_TOKEN); a client configuration file \
            (--client-config, EXCHANGE_CLIENT_CONFIG, or ~/.config/exchange/client.yaml when it \
            exists; keys url, department, pki, ca, cert, key, token_file); for the URL, the port of \
            Config/exchange.yaml in the working directory; https://127.0.0.1:8443.

            ERRORS: a failure is one line on standard error, `error: <code>: <detail>`. Exit status \
            0 on success, 1 when the command failed (the exchange refused it or could not be \
            reached; the code says which), 64 when the options cannot work.
            """,
        subcommands: [
            PublishCommand.self, SubscribeCommand.self, ReplayCommand.self,
            RegistryCommand.self, AuditCommand.self, ArchiveCommand.self, AgreementsCommand.self, CatalogueCommand.self, ConfigCommand.self,
            PKICommand.self, TokenCommand.self, HoldsCommand.self, BackupCommand.self, RestoreCommand.self,
        ]
    )

    /// Parses the command line and runs the command; every failure is one `error:` line.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch let failure as ClientFailure {
            fail(failure)
        } catch {
            // Help and version requests end here too, with their text and status 0.
            if exitCode(for: error) == .success { exit(withError: error) }
            fail(ClientFailure(code: "usage.invalid", detail: "\(message(for: error)) (see exchangectl --help)", exitCode: 64))
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as ClientFailure {
            fail(failure)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let validation as ValidationError {
            fail(ClientFailure(code: "usage.invalid", detail: validation.message, exitCode: 64))
        } catch {
            // Help and the argument parser's own errors (a command run without its subcommand)
            // keep their text and status.
            if exitCode(for: error) == .success || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                exit(withError: error)
            }
            fail(ClientFailure(code: "client.failed", detail: ClientFailure.sanitized("\(error)")))
        }
    }

    /// Prints `error: <code>: <detail>` and exits with the failure's status.
    static func fail(_ failure: ClientFailure) -> Never {
        printError("error: \(failure)")
        Foundation.exit(failure.exitCode)
    }
}
