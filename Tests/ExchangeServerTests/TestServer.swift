import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeServer
import ExchangeWire
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Synchronization

/// Collects refusals reported by the server.
final class RefusalLog: Sendable {
    private let refusals = Mutex<[RequestRefusal]>([])

    var all: [RequestRefusal] { refusals.withLock { $0 } }

    func record(_ refusal: RequestRefusal) {
        refusals.withLock { $0.append(refusal) }
    }
}

/// The test routes the engine side would register: who am I, admin only, echo a body.
func registerTestRoutes(_ v1: RouterGroup<ExchangeRequestContext>) {
    v1.get("whoami") { _, context in
        let principal = try context.requirePrincipal()
        return "\(principal.role) \(principal.actor)"
    }
    v1.get("admin") { _, context in
        try context.requireRole(.admin)
        return "admin ok"
    }
    v1.post("events") { request, context in
        let principal = try context.requireRole(.department)
        let body = try await context.collectBody(request)
        let envelopes = try CloudEvents.parse(
            headers: request.headers, body: body,
            options: CloudEventsOptions(limits: PublishLimits(maxEventSize: 256, maxBatchEvents: 2), source: principal.actor))
        return "\(envelopes.count)"
    }
}

/// A WebSocket route that echoes text frames prefixed with the caller's identity.
func registerTestWebSocketRoutes(_ v1: RouterGroup<ExchangeRequestContext>) {
    v1.ws("echo") { inbound, outbound, context in
        let actor = context.requestContext.principal?.actor ?? "nobody"
        for try await message in inbound.messages(maxSize: 1 << 16) {
            if case .text(let text) = message {
                try await outbound.write(.text("\(actor): \(text)"))
                return
            }
        }
    }
}
