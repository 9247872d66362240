package import ExchangeEngine
package import ExchangeModel
import ExchangeStore

/// The JSON body of `PUT /v1/subscriptions/{name}`.
package struct SubscriptionRequest: Decodable {
    /// Topic pattern.
    package var filter: String
    /// `all`, `new`, or an object `{"sequence": n}` / `{"time": "RFC 3339"}`.
    package var start: StartValue?
    package var ackWaitMs: UInt64?
    package var backoffMs: [UInt64]?
    package var maxDeliver: UInt32?
    package var maxInFlight: UInt32?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case filter, start
        case ackWaitMs = "ack_wait_ms"
        case backoffMs = "backoff_ms"
        case maxDeliver = "max_deliver"
        case maxInFlight = "max_in_flight"
    }

    package enum StartValue: Decodable {
        case named(String)
        case sequence(UInt64)
        case time(String)

        package init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .named(text)
                return
            }
            let object = try decoder.container(keyedBy: Key.self)
            // Exactly one of the two: an object with both, or neither, says no one start.
            switch (try object.decodeIfPresent(UInt64.self, forKey: .sequence), try object.decodeIfPresent(String.self, forKey: .time)) {
            case (let sequence?, nil): self = .sequence(sequence)
            case (nil, let time?): self = .time(time)
            default:
                throw DecodingError.typeMismatch(
                    StartValue.self,
                    .init(codingPath: decoder.codingPath, debugDescription: "is all, new, {\"sequence\": n} or {\"time\": \"...\"}, one of them"))
            }
        }

        enum Key: String, CodingKey, CaseIterable { case sequence, time }
    }

    /// The engine's specification, or a problem naming the bad field.
    package func specification() throws(ProblemError) -> SubscriptionSpec {
        let defaults = SubscriptionSpec(filter: filter)
        var start = StartPosition.new
        switch self.start {
        case nil, .named("new"): start = .new
        case .named("all"): start = .all
        case .named(let other): throw ProblemError(.badRequest, detail: "start \"\(other)\" is not all, new, {\"sequence\": n} or {\"time\": \"...\"}")
        case .sequence(let sequence):
            guard InputBounds.isSequence(sequence) else {
                throw ProblemError(.badRequest, detail: "start.sequence \(sequence) is not from 1 to \(InputBounds.sequence.upperBound)")
            }
            start = .sequence(sequence)
        case .time(let text):
            start = .time(try RFC3339.instant(text, name: "start.time"))
        }
        return SubscriptionSpec(
            filter: filter, start: start, ackWaitMilliseconds: ackWaitMs ?? defaults.ackWaitMilliseconds,
            backoffMilliseconds: backoffMs ?? defaults.backoffMilliseconds, maxDeliver: maxDeliver ?? defaults.maxDeliver,
            maxInFlight: maxInFlight ?? defaults.maxInFlight)
    }
}

/// The JSON body of ack, nak, term and redrive requests.
package struct SequencesRequest: Decodable {
    package var sequences: [UInt64]
    package var delayMs: UInt64?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case sequences
        case delayMs = "delay_ms"
    }

    /// The request `value` holds, as Foundation's decoder reads it (`sequences` required, a
    /// list of whole numbers from 0 to 2^64-1; `delay_ms` absent, `null` or such a number), or
    /// `nil` when it is not an object or a member is missing or has the wrong type.
    package init?(members value: JSONValue) {
        guard case .object(let object) = value, let sequences = StrictMembers.sequences(object["sequences"]) ?? nil,
            let delayMs = StrictMembers.whole(object["delay_ms"], as: UInt64.self)
        else { return nil }
        self.init(sequences: sequences, delayMs: delayMs)
    }

    /// Creates a request.
    package init(sequences: [UInt64], delayMs: UInt64? = nil) {
        self.sequences = sequences
        self.delayMs = delayMs
    }

    /// Refuses sequences and delays outside ``InputBounds``.
    package func checkBounds() throws(ProblemError) {
        try Self.checkBounds(sequences: sequences, delayMs: delayMs)
    }

    /// Refuses more than ``InputBounds/maxSequencesPerRequest`` sequences, a sequence outside
    /// ``InputBounds/sequence``, or a delay over ``InputBounds/maxDurationMilliseconds``.
    package static func checkBounds(sequences: [UInt64], delayMs: UInt64?) throws(ProblemError) {
        guard sequences.count <= InputBounds.maxSequencesPerRequest else {
            throw ProblemError(
                .badRequest, detail: "at most \(InputBounds.maxSequencesPerRequest) sequences per request; this one holds \(sequences.count)")
        }
        if let sequence = sequences.first(where: { !InputBounds.isSequence($0) }) {
            throw ProblemError(.badRequest, detail: "sequence \(sequence) is not from 1 to \(InputBounds.sequence.upperBound)")
        }
        if let delayMs, delayMs > InputBounds.maxDurationMilliseconds {
            throw ProblemError(.badRequest, detail: "delay_ms must be from 0 to \(InputBounds.maxDurationMilliseconds) (7 days); it is \(delayMs)")
        }
    }
}

/// A control message on the subscription WebSocket.
package struct StreamControl: Decodable {
    package var credit: Int?
    package var ack: [UInt64]?
    package var nak: [UInt64]?
    package var term: [UInt64]?
    package var delayMs: UInt64?

    package enum CodingKeys: String, CodingKey, CaseIterable {
        case credit, ack, nak, term
        case delayMs = "delay_ms"
    }

    /// The message `value` holds, as Foundation's decoder reads it (a member absent or `null`
    /// is not set), or `nil` when it is not an object or a member is not a whole number (a list
    /// of them) of its type.
    package init?(members value: JSONValue) {
        guard case .object(let object) = value else { return nil }
        guard let credit = StrictMembers.whole(object["credit"], as: Int.self), let ack = StrictMembers.sequences(object["ack"]),
            let nak = StrictMembers.sequences(object["nak"]), let term = StrictMembers.sequences(object["term"]),
            let delayMs = StrictMembers.whole(object["delay_ms"], as: UInt64.self)
        else { return nil }
        self.init(credit: credit, ack: ack, nak: nak, term: term, delayMs: delayMs)
    }

    /// Creates a control message.
    package init(credit: Int? = nil, ack: [UInt64]? = nil, nak: [UInt64]? = nil, term: [UInt64]? = nil, delayMs: UInt64? = nil) {
        self.credit = credit
        self.ack = ack
        self.nak = nak
        self.term = term
        self.delayMs = delayMs
    }

    /// Refuses a frame that asks nothing (none of credit, ack, nak and term), one that settles a
    /// sequence two ways (in two of ack, nak and term: which would win depends on the order they
    /// are applied in), a credit outside ``InputBounds/credit``, and sequences or a delay outside
    /// their bounds (as ``SequencesRequest/checkBounds()``).
    package func checkBounds() throws(ProblemError) {
        guard credit != nil || ack != nil || nak != nil || term != nil else {
            throw ProblemError(.badRequest, detail: "a control frame holds at least one of credit, ack, nak and term")
        }
        if let credit, !InputBounds.credit.contains(credit) {
            throw ProblemError(.badRequest, detail: "credit must be from 1 to \(InputBounds.credit.upperBound); it is \(credit)")
        }
        // The counts first (at most 10,000 a list), so that the sets below stay that small.
        for sequences in [ack, nak, term] {
            try SequencesRequest.checkBounds(sequences: sequences ?? [], delayMs: delayMs)
        }
        var settled = Set<UInt64>()
        for sequences in [ack, nak, term] {
            for sequence in Set(sequences ?? []) where !settled.insert(sequence).inserted {
                throw ProblemError(.badRequest, detail: "sequence \(sequence) is settled two ways in one frame (ack, nak and term exclude each other)")
            }
        }
    }
}

/// The JSON answer describing a subscription.
package struct SubscriptionDocument: Encodable {
    package var name: String
    package var owner: String
    package var filter: String
    package var position: UInt64
    package var pending: Int
    package var deadLetters: Int
    package var ackWaitMs: UInt64
    package var backoffMs: [UInt64]
    package var maxDeliver: UInt32
    package var maxInFlight: UInt32

    package enum CodingKeys: String, CodingKey {
        case name, owner, filter, position, pending
        case deadLetters = "dead_letters"
        case ackWaitMs = "ack_wait_ms"
        case backoffMs = "backoff_ms"
        case maxDeliver = "max_deliver"
        case maxInFlight = "max_in_flight"
    }

    package init(_ info: SubscriptionInfo) {
        name = info.record.name
        owner = info.record.owner
        filter = info.record.filter
        position = info.position
        pending = info.pending
        deadLetters = info.deadLetters
        ackWaitMs = info.record.ackWaitMilliseconds
        backoffMs = info.record.backoffMilliseconds
        maxDeliver = info.record.maxDeliver
        maxInFlight = info.record.maxInFlight
    }
}
