public import ExchangeEngine

/// Receives every refused request (a 4xx answer whose refusal the engine did not audit itself),
/// so that the daemon can audit it through ``ExchangeEngine/Exchange/recordRefusal(_:)``: at
/// once when it names an identity, aggregated per source when it does not.
public typealias RefusalObserver = @Sendable (RequestRefusal) async -> Void
