import ExchangeAudit

/// `Checkpoint(text:)`: a checkpoint that parses writes text that parses to the same checkpoint.
enum CheckpointTarget {
    static func run(_ input: FuzzInput) {
        guard let checkpoint = try? Checkpoint(text: input.text) else { return }
        let written = checkpoint.text
        let reread: Checkpoint
        do {
            reread = try Checkpoint(text: written)
        } catch {
            fatalError("checkpoint text does not parse (\(error)): \(written.debugDescription)")
        }
        require(reread == checkpoint, "checkpoint text parses to another checkpoint: \(written.debugDescription)")
    }
}
