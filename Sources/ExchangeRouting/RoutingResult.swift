public import ExchangeModel

/// The outcome of routing one published event.
public struct RoutingResult: Sendable {
    /// The consumers that receive the event, each once, with the agreement that carries it.
    /// Empty when the publish is denied or no agreement covers the event.
    public var routes: [Route]
    /// Why the publish is refused, if it is (unknown topic, not the owner, spoofed source).
    public var denial: AccessDenial?
    /// The event's data, parsed, when some candidate agreement needed to look inside it.
    public var data: JSONValue?
    /// Why the data could not be parsed, when an agreement needed it; agreements whose pattern
    /// looks at data do not match such an event.
    public var dataError: JSONParseError?

    /// Creates a result.
    /// - Parameters:
    ///   - routes: the routes.
    ///   - denial: the refusal, if any.
    ///   - data: the parsed data, if parsed.
    ///   - dataError: the parse error, if any.
    public init(routes: [Route] = [], denial: AccessDenial? = nil, data: JSONValue? = nil, dataError: JSONParseError? = nil) {
        self.routes = routes
        self.denial = denial
        self.data = data
        self.dataError = dataError
    }

    /// Whether the publish may proceed (it was not denied; it may still have no routes).
    public var isAllowed: Bool { denial == nil }
}
