public import HTTPTypes

/// One endpoint of the exchange API: an operation, its method and its path template.
///
/// ``ExchangeRoutes/endpoints`` lists them all; ``ExchangeRoutes/register(on:)`` and
/// ``ExchangeRoutes/registerWebSockets(on:)`` register exactly that table, and docs/openapi.yaml
/// documents it (a test keeps the two equal).
///
/// ```swift
/// for endpoint in ExchangeRoutes.endpoints {
///     print(endpoint.method, endpoint.path)   // POST /v1/topics/{topic}/events
/// }
/// ```
public struct ExchangeEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// What an endpoint does; one handler each.
    public enum Operation: String, Hashable, Sendable, CaseIterable {
        /// `POST /v1/topics/{topic}/events`
        case publish
        /// `PUT /v1/subscriptions/{name}`
        case putSubscription
        /// `GET /v1/subscriptions/{name}`
        case getSubscription
        /// `DELETE /v1/subscriptions/{name}`
        case deleteSubscription
        /// `GET /v1/subscriptions/{name}/events`
        case pull
        /// `POST /v1/subscriptions/{name}/ack`
        case ack
        /// `POST /v1/subscriptions/{name}/nak`
        case nak
        /// `POST /v1/subscriptions/{name}/term`
        case term
        /// `GET /v1/subscriptions/{name}/dead-letters`
        case deadLetters
        /// `POST /v1/subscriptions/{name}/dead-letters/redrive`
        case redrive
        /// `GET /v1/replay`
        case replay
        /// `POST /v1/admin/reload`
        case reload
        /// `GET /v1/publish`, upgraded to a WebSocket.
        case publishStream
        /// `GET /v1/subscriptions/{name}/stream`, upgraded to a WebSocket.
        case subscriptionStream
        /// `GET /v1/registry/{collection}/{key}`
        case registryLookup
        /// `GET /v1/registry/{collection}`
        case registrySearch
        /// `GET /v1/audit/key`
        case auditKey
        /// `GET /v1/audit/checkpoint`
        case auditCheckpoint
        /// `GET /v1/audit/checkpoints`
        case auditCheckpoints
        /// `GET /v1/audit/entries`
        case auditEntries
        /// `GET /v1/audit/proof/inclusion`
        case auditInclusionProof
        /// `GET /v1/audit/proof/consistency`
        case auditConsistencyProof
        /// `GET /v1/audit/events`
        case auditEvents
        /// `GET /v1/audit/replay`
        case auditReplay
        /// `GET /v1/audit/subjects/{subject}`
        case auditSubject
        /// `GET /v1/agreements`
        case listAgreements
        /// `GET /v1/agreements/{id}`
        case showAgreement
        /// `GET /v1/catalogue`
        case catalogue
        /// `GET /v1/holds`
        case listHolds
        /// `POST /v1/holds`
        case setHold
        /// `DELETE /v1/holds/{id}`
        case liftHold
        /// `POST /v1/operation/backup`
        case backup
    }

    /// How the endpoint is served.
    public enum Transport: String, Hashable, Sendable {
        /// A plain HTTP request and response.
        case http
        /// A `GET` upgraded to a WebSocket.
        case webSocket
    }

    /// The operation.
    public let operation: Operation
    /// The HTTP method (`GET` for WebSocket upgrades).
    public let method: HTTPRequest.Method
    /// The full path template with `{parameter}` segments, e.g. `/v1/subscriptions/{name}/ack`.
    public let path: String
    /// HTTP or WebSocket.
    public let transport: Transport
    /// The query parameters the operation reads; any other is refused (400), so that a misspelt
    /// filter cannot silently widen an answer. `nil` when the operation takes any name (the
    /// registry filters by the collection's configured fields).
    public let queryParameters: Set<String>?

    /// Creates an endpoint.
    /// - Parameters:
    ///   - operation: what it does.
    ///   - method: the HTTP method.
    ///   - path: the path template, starting with `/v1/`.
    ///   - transport: HTTP or WebSocket.
    ///   - query: the query parameters it reads; `nil` for any.
    public init(
        _ operation: Operation, _ method: HTTPRequest.Method, _ path: String, transport: Transport = .http, query: Set<String>? = []
    ) {
        self.operation = operation
        self.method = method
        self.path = path
        self.transport = transport
        self.queryParameters = query
    }

    /// The query parameter names of `names` that this endpoint does not read, sorted.
    /// - Parameter names: the names in a request's query.
    public func unknownQueryParameters(_ names: some Sequence<String>) -> [String] {
        guard let queryParameters else { return [] }
        return Set(names).subtracting(queryParameters).sorted()
    }

    /// The path relative to the `/v1` group in Hummingbird's syntax: `subscriptions/:name/ack`.
    public var routerPath: String {
        var relative = Substring(path)
        if relative.hasPrefix("/v1/") { relative = relative.dropFirst(4) }
        return relative.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
    }

    /// `METHOD /path`, e.g. `POST /v1/admin/reload`.
    public var description: String { "\(method.rawValue) \(path)" }
}

extension ExchangeRoutes {
    /// Every endpoint of the `/v1` API, HTTP and WebSocket, in registration order. The operations
    /// endpoints (`/healthz`, `/readyz`, `/metrics`) are ``OperationsRoutes``.
    public static let endpoints: [ExchangeEndpoint] = [
        ExchangeEndpoint(.publish, .post, "/v1/topics/{topic}/events"),
        ExchangeEndpoint(.putSubscription, .put, "/v1/subscriptions/{name}"),
        ExchangeEndpoint(.getSubscription, .get, "/v1/subscriptions/{name}"),
        ExchangeEndpoint(.deleteSubscription, .delete, "/v1/subscriptions/{name}"),
        ExchangeEndpoint(.pull, .get, "/v1/subscriptions/{name}/events", query: ["max", "wait"]),
        ExchangeEndpoint(.ack, .post, "/v1/subscriptions/{name}/ack"),
        ExchangeEndpoint(.nak, .post, "/v1/subscriptions/{name}/nak"),
        ExchangeEndpoint(.term, .post, "/v1/subscriptions/{name}/term"),
        ExchangeEndpoint(.deadLetters, .get, "/v1/subscriptions/{name}/dead-letters", query: ["after", "limit"]),
        ExchangeEndpoint(.redrive, .post, "/v1/subscriptions/{name}/dead-letters/redrive"),
        ExchangeEndpoint(.replay, .get, "/v1/replay", query: ["topic", "from_seq", "from_time", "until", "limit"]),
        ExchangeEndpoint(.reload, .post, "/v1/admin/reload"),
        ExchangeEndpoint(.publishStream, .get, "/v1/publish", transport: .webSocket),
        ExchangeEndpoint(.subscriptionStream, .get, "/v1/subscriptions/{name}/stream", transport: .webSocket),
        ExchangeEndpoint(.registryLookup, .get, "/v1/registry/{collection}/{key}", query: nil),
        ExchangeEndpoint(.registrySearch, .get, "/v1/registry/{collection}", query: nil),
        ExchangeEndpoint(.auditKey, .get, "/v1/audit/key"),
        ExchangeEndpoint(.auditCheckpoint, .get, "/v1/audit/checkpoint", query: ["tree_size"]),
        ExchangeEndpoint(.auditCheckpoints, .get, "/v1/audit/checkpoints", query: ["start", "limit"]),
        ExchangeEndpoint(.auditEntries, .get, "/v1/audit/entries", query: ["start", "end"]),
        ExchangeEndpoint(.auditInclusionProof, .get, "/v1/audit/proof/inclusion", query: ["index", "tree_size"]),
        ExchangeEndpoint(.auditConsistencyProof, .get, "/v1/audit/proof/consistency", query: ["first", "second"]),
        ExchangeEndpoint(.auditEvents, .get, "/v1/audit/events", query: ["type", "department", "agreement", "topic", "subject", "from", "until", "start"]),
        ExchangeEndpoint(.auditReplay, .get, "/v1/audit/replay", query: ["agreement", "department", "subject", "from", "until", "start"]),
        ExchangeEndpoint(.auditSubject, .get, "/v1/audit/subjects/{subject}", query: ["limit", "before"]),
        ExchangeEndpoint(.listAgreements, .get, "/v1/agreements"),
        ExchangeEndpoint(.showAgreement, .get, "/v1/agreements/{id}"),
        ExchangeEndpoint(.catalogue, .get, "/v1/catalogue"),
        ExchangeEndpoint(.listHolds, .get, "/v1/holds"),
        ExchangeEndpoint(.setHold, .post, "/v1/holds"),
        ExchangeEndpoint(.liftHold, .delete, "/v1/holds/{id}"),
        ExchangeEndpoint(.backup, .post, "/v1/operation/backup"),
    ]
}
