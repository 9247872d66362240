import ArgumentParser

/// `exchangectl audit`: keys, verification, export and inclusion proofs of the audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify, export and prove the exchange's tamper-evident audit log.",
        subcommands: [AuditKeygenCommand.self, AuditVerifyCommand.self, AuditExportCommand.self, AuditProveCommand.self, AuditReplayCommand.self])
}
