import ExchangeWire
import Foundation

/// The control messages a client sends as JSON: each is checked strictly (duplicate and unknown
/// members, fractions), decodes or throws, and a subscription request turns into the engine's
/// specification or a problem. A stream's control frame is read with one parse
/// (`StreamControl.read`), and a settlement body too (`SequencesRequest.read`); each must read
/// every input as the strict reader followed by Foundation's decoder does: a difference stops
/// the run.
enum ControlMessagesTarget {
    static func run(_ input: FuzzInput) {
        let data = Data(input.bytes)
        _ = SubscriptionRequest.strictViolation(input.bytes)
        _ = SequencesRequest.strictViolation(input.bytes)
        _ = StreamControl.strictViolation(input.bytes)
        let decoder = JSONDecoder()
        if let request = try? decoder.decode(SubscriptionRequest.self, from: data) {
            _ = try? request.specification()
        }
        let sequencesViolation = SequencesRequest.strictViolation(input.bytes)
        let sequences = sequencesViolation == nil ? try? decoder.decode(SequencesRequest.self, from: data) : nil
        let sequencesRead = SequencesRequest.read(input.bytes)
        guard sequencesRead.violation == sequencesViolation, (sequencesRead.value == nil) == (sequences == nil),
            sequencesRead.value?.sequences == sequences?.sequences, sequencesRead.value?.delayMs == sequences?.delayMs
        else {
            fatalError("SequencesRequest.read differs from the strict reader and the decoder on \(Array(input.bytes.prefix(200)))")
        }
        let violation = StreamControl.strictViolation(input.bytes)
        let decoded = violation == nil ? try? decoder.decode(StreamControl.self, from: data) : nil
        let read = StreamControl.read(input.bytes)
        guard read.violation == violation, (read.value == nil) == (decoded == nil), read.value?.credit == decoded?.credit,
            read.value?.ack == decoded?.ack, read.value?.nak == decoded?.nak, read.value?.term == decoded?.term,
            read.value?.delayMs == decoded?.delayMs
        else {
            fatalError("StreamControl.read differs from the strict reader and the decoder on \(Array(input.bytes.prefix(200)))")
        }
    }
}
