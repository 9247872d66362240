/// Tells the callers of committed batches, in commit order, on a thread of its own.
///
/// The writer thread hands over each batch once its transaction has committed (or failed)
/// and goes straight on to the next transaction; completions, commit observers and the
/// release of the batch's buffers run here instead of delaying the next commit. One hand-off
/// per batch, not per operation. Under light load, when the thread is idle, a small batch is
/// answered on the writer thread itself: a hand-off would cost a thread wake-up, more than the
/// answers.
final class CommitAnswerer: Sendable {
    private let thread = DrainingThread<() -> Void>(name: "store-answers") { answers in
        for answer in answers { answer() }
    }

    /// Queues `answer` to run after every answer queued before it. The store stops its writer
    /// before it stops the answerer, so nothing is queued after `stop()`.
    func enqueue(_ answer: @escaping () -> Void) {
        let queued = thread.submit(answer)
        precondition(queued, "an answer was queued after the store's answer thread stopped")
    }

    /// Runs `answer` here, on the writer thread, if the answer thread is idle (every answer
    /// queued before it has run); otherwise queues it as `enqueue(_:)` does.
    func answerHereIfIdle(_ answer: @escaping () -> Void) {
        if !thread.processHereIfIdle(answer) { enqueue(answer) }
    }

    /// Runs every answer already queued, then stops the thread and waits for it.
    func stop() {
        thread.stop()
    }
}
