import ArgumentParser

/// The operator and client command line of the exchange.
@main
struct ExchangeCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchangectl",
        abstract: "Operate and use a Data Exchange.",
        subcommands: [
            PublishCommand.self, SubscribeCommand.self, ReplayCommand.self,
            RegistryCommand.self, AuditCommand.self, AgreementsCommand.self, ConfigCommand.self, PKICommand.self, TokenCommand.self,
        ]
    )
}
