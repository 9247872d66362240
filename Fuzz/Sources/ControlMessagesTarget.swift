import ExchangeWire
import Foundation

/// The control messages a client sends as JSON: each is checked strictly (duplicate and unknown
/// members, fractions), decodes or throws, and a subscription request turns into the engine's
/// specification or a problem.
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
        _ = try? decoder.decode(SequencesRequest.self, from: data)
        _ = try? decoder.decode(StreamControl.self, from: data)
    }
}
