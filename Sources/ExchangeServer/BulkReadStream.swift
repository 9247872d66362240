import ExchangeEngine
import ExchangeIdentity
import Hummingbird
import NIOCore

/// The writing side of one bulk read (a replay, an auditor's events or replay): writes each
/// chunk to the client under a deadline and paces the read by its permit.
///
/// A chunk the client has not taken within `bulk_reads.write_timeout` ends the read: the
/// connection is closed, the permit given back at once (its slot is free for the next read,
/// whatever the stuck write does) and the timeout counted
/// (`exchange_bulk_reads_timed_out_total`). A client that stops reading therefore holds a slot
/// for one write timeout at most, and a closed connection ends the pacing between chunks.
struct BulkReadStream: Sendable {
    let exchange: Exchange
    let permit: BulkReadPermit
    let channel: any Channel
    /// Whether the connection was open when the read began (a test channel never is): only
    /// then does its closing end the read.
    let watchesConnection: Bool

    init(exchange: Exchange, permit: BulkReadPermit, channel: any Channel) {
        self.exchange = exchange
        self.permit = permit
        self.channel = channel
        self.watchesConnection = channel.isActive
    }

    /// Whether the client went away.
    var isAbandoned: Bool { watchesConnection && !channel.isActive }

    /// Writes `bytes` (nothing when empty), then paces the read.
    /// - Throws: ``BulkReadEnded`` when the deadline passed or the connection closed.
    func send(_ bytes: [UInt8], to writer: inout any ResponseBodyWriter) async throws {
        if !bytes.isEmpty {
            let deadline = armDeadline()
            defer { deadline.cancel() }
            try await writer.write(ByteBuffer(bytes: bytes))
        }
        guard !permit.isReleased else { throw BulkReadEnded() }
        let (channel, watches) = (self.channel, watchesConnection)
        await permit.pace(bytes: bytes.count, abandoned: { watches && !channel.isActive })
        guard !permit.isReleased, !isAbandoned else { throw BulkReadEnded() }
    }

    /// Ends the answer, under the same deadline as a chunk (the end is a write too, and waits
    /// for the client like one), and gives the permit back.
    func finish(_ writer: consuming any ResponseBodyWriter) async throws {
        let deadline = armDeadline()
        defer {
            deadline.cancel()
            permit.release()
        }
        try await writer.finish(nil)
    }

    /// Ends the read if the write that follows has not finished within
    /// `bulk_reads.write_timeout`: counts the timeout, gives the permit back and closes the
    /// connection, which fails the stuck write.
    private func armDeadline() -> Scheduled<Void> {
        let (permit, channel, exchange) = (self.permit, self.channel, self.exchange)
        return channel.eventLoop.scheduleTask(in: TimeAmount(permit.configuration.writeTimeout)) {
            if !permit.isReleased { exchange.bulkReadTimedOut() }
            permit.release()
            channel.close(promise: nil)
        }
    }
}

/// A bulk read ended before its last record: its client did not take a chunk within
/// `bulk_reads.write_timeout`, or closed the connection.
struct BulkReadEnded: Error, CustomStringConvertible {
    var description: String { "the client did not take a chunk within bulk_reads.write_timeout, or went away" }
}

extension Principal {
    /// The principal as a reader of the bulk-read budget: one read at a time per principal, and
    /// the slot kept for auditors open to auditor and admin tokens.
    var bulkReader: BulkReader {
        BulkReader(key: description, isAuditor: role == .auditor || role == .admin)
    }
}
