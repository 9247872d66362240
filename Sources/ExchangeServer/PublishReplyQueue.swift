import Synchronization

/// The answers of one WebSocket publish stream on their way out, and its flow control.
///
/// The read loop reserves a slot for each frame before it hands the event to the exchange;
/// commits (answered on the store's answer thread, or its writer under light load) put the
/// answers here; one writer task takes everything that has gathered and sends it as one frame,
/// so a commit of hundreds of the connection's events costs one TLS record and one `write(2)`,
/// not hundreds. A slot is free again once its answer has been taken for sending, so a client
/// that stops reading its answers stops being read (at most `capacity` answers are held per
/// connection).
final class PublishReplyQueue: Sendable {
    private struct State {
        var replies: [UInt8] = []
        var count = 0
        var outstanding = 0
        var isClosed = false
        var writer: CheckedContinuation<Void, Never>?
        var reader: CheckedContinuation<Void, Never>?
    }

    /// The most answers awaiting their commit or their sending.
    let capacity: Int
    /// The most answers sent in one frame.
    let maxRepliesPerFrame: Int
    private let state = Mutex(State())

    /// Creates a queue.
    /// - Parameters:
    ///   - capacity: the most frames in flight per connection.
    ///   - maxRepliesPerFrame: the most answers in one outgoing frame.
    init(capacity: Int, maxRepliesPerFrame: Int = 512) {
        self.capacity = capacity
        self.maxRepliesPerFrame = maxRepliesPerFrame
    }

    /// Waits until a slot is free and takes it. Returns `false` once the queue is closed.
    func reserve() async -> Bool {
        while true {
            let granted: Bool? = state.withLock { state in
                if state.isClosed { return false }
                if state.outstanding < capacity {
                    state.outstanding += 1
                    return true
                }
                return nil
            }
            if let granted { return granted }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.isClosed || state.outstanding < capacity { return true }
                    state.reader = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Adds one answer (a JSON object without line breaks) for the writer to send.
    func push(_ reply: [UInt8]) {
        let writer: CheckedContinuation<Void, Never>? = state.withLock { state in
            if !state.replies.isEmpty { state.replies.append(UInt8(ascii: "\n")) }
            state.replies.append(contentsOf: reply)
            state.count += 1
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume()
    }

    /// Waits for answers and takes up to ``maxRepliesPerFrame`` of them, joined by newlines,
    /// freeing their slots. Returns `nil` once the queue is closed and no answer is due.
    func next() async -> [UInt8]? {
        while true {
            let (taken, reader, isDone) = state.withLock { state -> ([UInt8]?, CheckedContinuation<Void, Never>?, Bool) in
                guard state.count > 0 else { return (nil, nil, state.isClosed && state.outstanding == 0) }
                var taken: [UInt8] = []
                let count: Int
                if state.count <= maxRepliesPerFrame {
                    swap(&taken, &state.replies)
                    count = state.count
                } else {
                    var cut = 0
                    var lines = 0
                    while lines < maxRepliesPerFrame, let newline = state.replies[cut...].firstIndex(of: UInt8(ascii: "\n")) {
                        cut = newline + 1
                        lines += 1
                    }
                    taken = Array(state.replies[..<(cut - 1)])
                    state.replies.removeFirst(cut)
                    count = lines
                }
                state.count -= count
                state.outstanding -= count
                defer { state.reader = nil }
                return (taken, state.reader, false)
            }
            reader?.resume()
            if let taken { return taken }
            if isDone { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.count > 0 || (state.isClosed && state.outstanding == 0) { return true }
                    state.writer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Stops granting slots; ``next()`` returns `nil` once the answers still due were taken.
    func close() {
        let (writer, reader) = state.withLock { state in
            state.isClosed = true
            defer {
                state.writer = nil
                state.reader = nil
            }
            return (state.writer, state.reader)
        }
        writer?.resume()
        reader?.resume()
    }
}
