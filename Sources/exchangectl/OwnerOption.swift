import ArgumentParser
import ExchangeIdentity

/// `--owner USER[:GROUP]`: whom the files a command writes for the daemon are given to.
struct OwnerOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Give the files the daemon reads to this user (and group; default the user's primary group), mode 0600. Needs root.",
            valueName: "user[:group]"))
    var owner: String?

    /// The parsed owner, or `nil` without the option.
    /// - Throws: `ValidationError` for an unknown user or group.
    func resolve() throws -> FileOwner? {
        guard let owner else { return nil }
        do {
            return try FileOwner(parsing: owner)
        } catch {
            throw ValidationError("--owner \(owner): \(error)")
        }
    }
}
