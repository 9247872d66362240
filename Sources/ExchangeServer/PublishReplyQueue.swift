import Synchronization

/// The answers of one WebSocket publish stream on their way out, and its flow control.
///
/// The read loop reserves a slot for each frame before it hands the event to the exchange;
/// commits (answered on the store's answer thread, or its writer under light load) put the
/// answers here; one writer task takes everything that has gathered and sends it as one frame,
/// so a commit of hundreds of the connection's events costs one TLS record and one `write(2)`,
/// not hundreds. A slot is free again once its answer has been taken for sending, so a client
/// that stops reading its answers stops being read (at most `capacity` answers are held per
/// connection). The frames awaiting their commit hold at most `byteCapacity` bytes between
/// them (one frame is always let through, whatever its size), so the events a connection keeps
/// in memory are bounded in bytes, not only in frames.
final class PublishReplyQueue: Sendable {
    private struct State {
        var replies: [UInt8] = []
        var count = 0
        var outstanding = 0
        /// The bytes of the frames whose answer has not come yet.
        var bytes = 0
        var isClosed = false
        var writer: CheckedContinuation<Void, Never>?
        var reader: CheckedContinuation<Void, Never>?
    }

    /// The most answers awaiting their commit or their sending.
    let capacity: Int
    /// The most bytes of frames awaiting their answer (one frame is let through alone).
    let byteCapacity: Int
    /// The most answers sent in one frame.
    let maxRepliesPerFrame: Int
    private let state = Mutex(State())

    /// Creates a queue.
    /// - Parameters:
    ///   - capacity: the most frames in flight per connection.
    ///   - byteCapacity: the most bytes of frames awaiting their answer.
    ///   - maxRepliesPerFrame: the most answers in one outgoing frame.
    init(capacity: Int, byteCapacity: Int = .max, maxRepliesPerFrame: Int = 512) {
        self.capacity = capacity
        self.byteCapacity = max(1, byteCapacity)
        self.maxRepliesPerFrame = maxRepliesPerFrame
    }

    private func admits(_ state: State, bytes: Int) -> Bool {
        state.outstanding < capacity && (state.bytes == 0 || bytes <= byteCapacity - state.bytes)
    }

    /// Waits until a slot is free and the bytes in flight leave room for a frame of `bytes`,
    /// and takes them. Returns `false` once the queue is closed.
    /// - Parameter bytes: the frame's size, given back by ``push(_:releasing:)`` with its answer.
    func reserve(bytes: Int = 0) async -> Bool {
        let bytes = max(0, bytes)
        while true {
            let granted: Bool? = state.withLock { state in
                if state.isClosed { return false }
                if admits(state, bytes: bytes) {
                    state.outstanding += 1
                    state.bytes += bytes
                    return true
                }
                return nil
            }
            if let granted { return granted }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.isClosed || admits(state, bytes: bytes) { return true }
                    state.reader = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Adds one answer (a JSON object without line breaks) for the writer to send, and gives
    /// back the `bytes` its frame reserved.
    func push(_ reply: [UInt8], releasing bytes: Int = 0) {
        let (writer, reader): (CheckedContinuation<Void, Never>?, CheckedContinuation<Void, Never>?) = state.withLock { state in
            if !state.replies.isEmpty { state.replies.append(UInt8(ascii: "\n")) }
            state.replies.append(contentsOf: reply)
            state.count += 1
            state.bytes = max(0, state.bytes - max(0, bytes))
            defer {
                state.writer = nil
                if bytes > 0 { state.reader = nil }
            }
            return (state.writer, bytes > 0 ? state.reader : nil)
        }
        writer?.resume()
        // The reader checks again what it waits for; a wake too early only sends it back.
        reader?.resume()
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
