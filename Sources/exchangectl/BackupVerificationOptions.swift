import ArgumentParser

/// The options of verifying a backup, shared by `exchangectl backup take` (which verifies what
/// it saved) and `exchangectl backup verify`.
struct BackupVerificationOptions: ParsableArguments {
    @Option(help: "A pinned verifier key of the log (NAME+KEYID+BASE64), or a file of keys; repeat it to pin several.")
    var verifierKey: [String] = []

    @Flag(help: "Report progress on standard error even when it is not a terminal.")
    var progress = false

    /// The pinned keys the latest checkpoint must verify with; `nil` without `--verifier-key`
    /// (then only its root is checked).
    /// - Throws: ``ClientFailure`` for a key or key file that does not parse.
    func pinnedKeys() throws -> PinnedKeys? {
        verifierKey.isEmpty ? nil : try PinnedKeys(verifierKey)
    }

    /// Reports the audit entries recomputed while verifying.
    func reporter() -> ProgressReporter {
        ProgressReporter(total: 0, always: progress)
    }
}
