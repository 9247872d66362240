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

    /// Creates an endpoint.
    /// - Parameters:
    ///   - operation: what it does.
    ///   - method: the HTTP method.
    ///   - path: the path template, starting with `/v1/`.
    ///   - transport: HTTP or WebSocket.
    public init(_ operation: Operation, _ method: HTTPRequest.Method, _ path: String, transport: Transport = .http) {
        self.operation = operation
        self.method = method
        self.path = path
        self.transport = transport
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
        ExchangeEndpoint(.pull, .get, "/v1/subscriptions/{name}/events"),
        ExchangeEndpoint(.ack, .post, "/v1/subscriptions/{name}/ack"),
        ExchangeEndpoint(.nak, .post, "/v1/subscriptions/{name}/nak"),
        ExchangeEndpoint(.term, .post, "/v1/subscriptions/{name}/term"),
        ExchangeEndpoint(.deadLetters, .get, "/v1/subscriptions/{name}/dead-letters"),
        ExchangeEndpoint(.redrive, .post, "/v1/subscriptions/{name}/dead-letters/redrive"),
        ExchangeEndpoint(.replay, .get, "/v1/replay"),
        ExchangeEndpoint(.reload, .post, "/v1/admin/reload"),
        ExchangeEndpoint(.publishStream, .get, "/v1/publish", transport: .webSocket),
        ExchangeEndpoint(.subscriptionStream, .get, "/v1/subscriptions/{name}/stream", transport: .webSocket),
        ExchangeEndpoint(.registryLookup, .get, "/v1/registry/{collection}/{key}"),
        ExchangeEndpoint(.registrySearch, .get, "/v1/registry/{collection}"),
        ExchangeEndpoint(.auditKey, .get, "/v1/audit/key"),
        ExchangeEndpoint(.auditCheckpoint, .get, "/v1/audit/checkpoint"),
        ExchangeEndpoint(.auditCheckpoints, .get, "/v1/audit/checkpoints"),
        ExchangeEndpoint(.auditEntries, .get, "/v1/audit/entries"),
        ExchangeEndpoint(.auditInclusionProof, .get, "/v1/audit/proof/inclusion"),
        ExchangeEndpoint(.auditConsistencyProof, .get, "/v1/audit/proof/consistency"),
        ExchangeEndpoint(.auditEvents, .get, "/v1/audit/events"),
        ExchangeEndpoint(.auditReplay, .get, "/v1/audit/replay"),
    ]
}
