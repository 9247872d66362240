import ExchangeConfig
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeStore
import ExchangeWire
import Foundation
public import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import Synchronization

extension ExchangeRoutes {
    /// The most publishes one WebSocket connection keeps in flight before it stops reading.
    static let maxPublishesInFlight = 4096
    /// The most bytes of frames one WebSocket publish connection keeps awaiting their commit
    /// before it stops reading (a larger frame, up to `limits.max_request_body`, goes alone).
    static let maxPublishBytesInFlight = 16 << 20

    /// Registers the WebSocket routes on the authenticated `/v1` group:
    /// - `/v1/publish`: pipelined publishing. Each text (or binary) frame is one structured-mode
    ///   CloudEvent with a `topic` attribute, or a JSON array of them (a batch: all stored or
    ///   none); each is answered, after its durable commit, by a line
    ///   `{"index": n, "id": ..., "sequence": ..., "duplicate": ..., "routes": ...}` (a batch:
    ///   `{"index": n, "results": [{"id": ..., ...}, ...]}`) or `{"index": n, "error": <problem
    ///   document>}`, where `n` counts the connection's frames from 0. An answer frame holds one
    ///   or more such lines, separated by `\n` (the answers that gathered while the previous
    ///   frame was sent). Answers may come out of order.
    /// - `/v1/subscriptions/{name}/stream`: push delivery with credit. The client sends
    ///   `{"credit": n}` to allow n more events, and `{"ack": [seq, ...]}`, `{"nak": [...],
    ///   "delay_ms": d}` or `{"term": [...]}` to settle them; the server sends each event as a
    ///   structured CloudEvent with `sequence`, `topic`, `agreement` and `receivedat`.
    ///
    /// Both check the client certificate against the revoked certificates in force (re-read on
    /// reload) before acting on each frame received, and the subscription stream before each
    /// event sent and every second: a certificate revoked while its stream is open gets one error
    /// frame `auth.certificate_revoked` and a close 1008 (policy violation), audited once.
    ///
    /// The paths are the WebSocket entries of ``endpoints``.
    public func registerWebSockets(on v1: RouterGroup<ExchangeRequestContext>) {
        for endpoint in Self.endpoints where endpoint.transport == .webSocket {
            switch endpoint.operation {
            case .publishStream: registerPublishStream(on: v1, endpoint: endpoint)
            case .subscriptionStream: registerSubscriptionStream(on: v1, endpoint: endpoint)
            default: preconditionFailure("\(endpoint.operation) is an HTTP endpoint; register(on:) registers it")
            }
        }
    }

    /// Refuses an upgrade whose query the endpoint would misread, as an HTTP route does
    /// (``checkQuery(_:_:)``), or whose caller is not a department (403 `auth.forbidden`,
    /// `refusal`), before anything is upgraded: a refused caller costs one HTTP answer, not an
    /// open stream.
    static func checkingQuery(
        _ endpoint: ExchangeEndpoint, refusal: String
    ) -> @Sendable (Request, ExchangeRequestContext) async throws -> RouterShouldUpgrade {
        { request, context in
            try checkQuery(endpoint, request)
            try requireDepartment(context, refusal)
            return .upgrade([:])
        }
    }

    /// Throws 403 `auth.forbidden` with `detail` unless the caller is a department.
    static func requireDepartment(_ context: ExchangeRequestContext, _ detail: String) throws {
        guard case .department? = context.principal else { throw ProblemError(.forbidden, detail: detail) }
    }

    static let publishRefusal = "only departments, authenticated by client certificate, may publish"
    static let subscribeRefusal = "only departments, authenticated by client certificate, may subscribe"

    private func registerPublishStream(on v1: RouterGroup<ExchangeRequestContext>, endpoint: ExchangeEndpoint) {
        let exchange = self.exchange
        let maxRequestBody = self.maxRequestBody
        let logger = self.logger
        v1.ws(RouterPath(endpoint.routerPath), shouldUpgrade: Self.checkingQuery(endpoint, refusal: Self.publishRefusal)) { inbound, outbound, context in
            guard case .department(let department)? = context.requestContext.principal else {
                // Refused before the upgrade (`checkingQuery`); kept should that ever be bypassed.
                let problem = ProblemError(.forbidden, detail: Self.publishRefusal)
                try await Self.refuse(problem, inbound: inbound, outbound: outbound, exchange: exchange, context: context)
                return
            }
            let options = CloudEventsOptions(limits: exchange.configuration.limits, source: department.rawValue)
            let replies = PublishReplyQueue(capacity: Self.maxPublishesInFlight, byteCapacity: Self.maxPublishBytesInFlight)
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            while let frame = await replies.next() {
                                try await outbound.write(.text(String(decoding: frame, as: UTF8.self)))
                            }
                        } catch {
                            // The connection is gone: stop reading; commits still due finish unanswered.
                            replies.close()
                            logger.debug("publish stream answer not sent", metadata: ["error": "\(error)"])
                        }
                    }
                    // However reading ends (the client closed, or the connection failed), the
                    // writer must end too, once the answers still due are sent or dropped.
                    defer { replies.close() }
                    var index = 0
                    var revoked = false
                    for try await message in inbound.messages(maxSize: maxRequestBody) {
                        let size: Int = switch message {
                        case .text(let text): text.utf8.count
                        case .binary(let buffer): buffer.readableBytes
                        }
                        guard await replies.reserve(bytes: size) else { break }
                        let frameIndex = index
                        index += 1
                        if context.requestContext.isCertificateRevoked {
                            let problem = Self.revokedProblem(context.requestContext)
                            replies.push(Self.reply(index: frameIndex, problem: problem), releasing: size)
                            await Self.auditFrameRefusal(problem, exchange: exchange, context: context)
                            revoked = true
                            break
                        }
                        let parsed: Result<(envelopes: [Envelope], isBatch: Bool), ProblemError>
                        switch message {
                        case .text(var text):
                            parsed = text.withUTF8 { bytes in Self.parsePublishFrame(bytes, options: options) }
                        case .binary(let buffer):
                            parsed = buffer.withUnsafeReadableBytes { raw in
                                Self.parsePublishFrame(raw.assumingMemoryBound(to: UInt8.self), options: options)
                            }
                        }
                        switch parsed {
                        case .success(let (envelopes, isBatch)):
                            exchange.publish(envelopes, from: department) { result in
                                switch result {
                                case .success(let outcomes):
                                    replies.push(
                                        isBatch ? Self.reply(index: frameIndex, batch: outcomes) : Self.reply(index: frameIndex, outcome: outcomes[0]),
                                        releasing: size)
                                case .failure(let error):
                                    replies.push(Self.reply(index: frameIndex, problem: ProblemError(answering: error, logger: logger)), releasing: size)
                                }
                            }
                        case .failure(let problem):
                            replies.push(Self.reply(index: frameIndex, problem: problem), releasing: size)
                            await Self.auditFrameRefusal(problem, exchange: exchange, context: context)
                        }
                    }
                    replies.close()
                    try await group.waitForAll()
                    if revoked { try await outbound.close(.policyViolation, reason: ProblemCode.certificateRevoked.rawValue) }
                }
            } onCancel: {
                replies.close()
            }
        }
    }

    /// ``checkingQuery(_:refusal:)``, and that the subscription the department names is its own:
    /// a stream to a subscription that does not exist is answered 404 `subscription.not_found`
    /// instead of being upgraded and refused on its first frame.
    static func checkingSubscription(_ endpoint: ExchangeEndpoint, exchange: Exchange) -> @Sendable (Request, ExchangeRequestContext) async throws -> RouterShouldUpgrade {
        { request, context in
            try checkQuery(endpoint, request)
            try requireDepartment(context, subscribeRefusal)
            if case .department(let department)? = context.principal, let name = context.parameters.get("name") {
                try exchange.requireSubscription(name, owner: department)
            }
            return .upgrade([:])
        }
    }

    private func registerSubscriptionStream(on v1: RouterGroup<ExchangeRequestContext>, endpoint: ExchangeEndpoint) {
        let exchange = self.exchange
        let logger = self.logger
        v1.ws(RouterPath(endpoint.routerPath), shouldUpgrade: Self.checkingSubscription(endpoint, exchange: exchange)) { inbound, outbound, context in
            guard case .department(let department)? = context.requestContext.principal,
                let name = context.requestContext.parameters.get("name")
            else {
                // Refused before the upgrade (`checkingSubscription`); kept should that ever be bypassed.
                let problem = ProblemError(.forbidden, detail: Self.subscribeRefusal)
                try await Self.refuse(problem, inbound: inbound, outbound: outbound, exchange: exchange, context: context)
                return
            }
            let credit = CreditCounter()
            let (creditChanges, creditContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let revocation = RevocationLatch()
            // Whether the certificate is revoked now; the first to see it ends the stream.
            @Sendable func revoked() async throws -> Bool {
                guard context.requestContext.isCertificateRevoked else { return false }
                guard revocation.fire() else { return true }
                let problem = Self.revokedProblem(context.requestContext)
                await Self.auditFrameRefusal(problem, exchange: exchange, context: context)
                try await outbound.write(.text(String(decoding: Self.reply(index: -1, problem: problem), as: UTF8.self)))
                try await outbound.close(.policyViolation, reason: ProblemCode.certificateRevoked.rawValue)
                return true
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // A stream that only sends is checked every second too.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        if Task.isCancelled { return }
                        if try await revoked() { return }
                    }
                }
                // Delivery: one round at a time, each written out before the next is pulled. A
                // round holds at most `delivery.max_batch_bytes` of events (plus one), whatever
                // the credit; each write waits while the connection is not writable (NIO's
                // write-buffer watermarks behind the library's outbound writer), so a client
                // that reads nothing holds up its own stream, not the daemon's memory.
                group.addTask {
                    var changes = creditChanges.makeAsyncIterator()
                    var buffer: [UInt8] = []
                    // Where the last round left the subscription: the next pull waits at once
                    // when nothing came since (no round that would find nothing).
                    var resume: PullResume?
                    while !Task.isCancelled {
                        let available = credit.value
                        if available == 0 {
                            guard await changes.next() != nil else { return }
                            continue
                        }
                        if try await revoked() { return }
                        let pulled: PulledEvents
                        do {
                            pulled = try await exchange.pullReportingGaps(name, owner: department, max: available, wait: .seconds(5), resume: resume)
                        } catch {
                            try await outbound.write(.text(String(decoding: Self.reply(index: -1, problem: ProblemError(answering: error, logger: logger)), as: UTF8.self)))
                            return
                        }
                        let events = pulled.events
                        resume = pulled.resume
                        // What retention removed that the subscription passed, before the events.
                        for gap in pulled.expired {
                            if try await revoked() { return }
                            try await outbound.write(.text(String(decoding: Self.expiredFrame(gap), as: UTF8.self)))
                        }
                        for event in events {
                            if try await revoked() { return }
                            buffer.removeAll(keepingCapacity: true)
                            CloudEvents.encode(event.envelope, delivery: Self.attributes(event), into: &buffer)
                            try await outbound.write(.text(String(decoding: buffer, as: UTF8.self)))
                        }
                        credit.add(-events.count)
                    }
                }
                defer {
                    creditContinuation.finish()
                    group.cancelAll()
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if try await revoked() { break }
                    let (control, violation): (StreamControl?, String?) = if case .text(let text) = message { StreamControl.read(text.utf8) } else { (nil, nil) }
                    guard let control else {
                        let expected = "send {\"credit\": n}, {\"ack\": [...]}, {\"nak\": [...]} or {\"term\": [...]}"
                        let problem = ProblemError(.badRequest, detail: violation.map { "\(expected): \($0)" } ?? expected)
                        try await outbound.write(.text(String(decoding: Self.reply(index: -1, problem: problem), as: UTF8.self)))
                        await Self.auditFrameRefusal(problem, exchange: exchange, context: context)
                        continue
                    }
                    do {
                        try control.checkBounds()
                        if let ack = control.ack { _ = try await exchange.ack(ack, subscription: name, owner: department) }
                        if let nak = control.nak {
                            _ = try await exchange.nak(
                                nak, subscription: name, owner: department, delay: .milliseconds(Int64(clamping: control.delayMs ?? 0)))
                        }
                        if let term = control.term { _ = try await exchange.term(term, subscription: name, owner: department) }
                    } catch {
                        let problem = ProblemError(answering: error, logger: logger)
                        try await outbound.write(.text(String(decoding: Self.reply(index: -1, problem: problem), as: UTF8.self)))
                        await Self.auditFrameRefusal(problem, exchange: exchange, context: context)
                        continue
                    }
                    if let more = control.credit, more > 0 {
                        credit.add(more)
                        creditContinuation.yield()
                    }
                }
            }
            logger.debug("subscription stream closed", metadata: ["subscription": "\(name)"])
        }
    }

    /// Audits a frame refused on an open stream (a malformed event or control message, a number
    /// out of range, an engine refusal the engine did not audit), once, as HTTP refusals are.
    static func auditFrameRefusal(
        _ problem: ProblemError, exchange: Exchange, context: WebSocketRouterContext<ExchangeRequestContext>
    ) async {
        guard !problem.isAudited else { return }
        var refusal = ProblemMiddleware.refusal(problem, request: context.request, context: context.requestContext)
        refusal.method = "WS"
        await exchange.recordRefusal(refusal)
    }

    /// The refusal of a stream whose client certificate was revoked while it was open.
    static func revokedProblem(_ context: ExchangeRequestContext) -> ProblemError {
        ProblemError(
            .certificateRevoked,
            detail: "the client certificate (SHA-256 \(context.certificateFingerprint ?? "none")) was revoked "
                + "(server.tls.revoked_certificates); the stream is closed")
    }

    /// How long a refused stream stays open for its client to read the refusal and close it.
    static let refusalLinger: Duration = .seconds(10)

    /// Refuses a stream after its upgrade (a caller that is not a department, should one ever
    /// pass the checks before the upgrade): audits the refusal,
    /// sends it as one error frame, then waits until the client closes the stream, at most
    /// `refusalLinger`, before the connection closes from this side. A close sent right after
    /// the frame can reach a client while it is still completing the upgrade, and some client
    /// libraries then lose the frame and the close and wait forever.
    static func refuse(
        _ problem: ProblemError, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        exchange: Exchange, context: WebSocketRouterContext<ExchangeRequestContext>
    ) async throws {
        // Audited as the problem middleware audits HTTP refusals.
        await exchange.recordRefusal(ProblemMiddleware.refusal(problem, request: context.request, context: context.requestContext))
        try await outbound.write(.text(String(decoding: reply(index: 0, problem: problem), as: UTF8.self)))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await _ in inbound {}
                } catch {
                    // The connection failed: nothing more to wait for.
                }
            }
            group.addTask { try? await Task.sleep(for: refusalLinger) }
            await group.next()
            group.cancelAll()
        }
    }

    /// `{"type":"expired","code":"event.expired","first":F,"last":L,"topic":T}` (`topic`
    /// absent for a pending event removed before its acknowledgement): sent on a subscription
    /// stream, outside the credit, before the events of the pull that passed the gap.
    static func expiredFrame(_ gap: ExpiredGap) -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.beginObject()
        writer.member("type", string: "expired")
        writer.member("code", string: ExpiredGap.code)
        writer.member("first", unsigned: gap.first)
        writer.member("last", unsigned: gap.last)
        if let topic = gap.topic { writer.member("topic", string: topic) }
        writer.endObject()
        return writer.bytes
    }

    static func reply(index: Int, outcome: PublishOutcome) -> [UInt8] {
        var writer = JSONWriter(capacity: 96)
        writer.beginObject()
        writer.member("index", integer: index)
        writer.members(of: outcome)
        writer.endObject()
        return writer.bytes
    }

    /// `{"index": n, "results": [{"id": ..., "sequence": ..., "duplicate": ..., "routes": ...}, ...]}`
    static func reply(index: Int, batch outcomes: [PublishOutcome]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + outcomes.count * 96)
        writer.beginObject()
        writer.member("index", integer: index)
        writer.results(outcomes)
        writer.endObject()
        return writer.bytes
    }

    /// One publish frame: an event object, or a JSON array of events (a batch, all or none).
    static func parsePublishFrame(
        _ bytes: UnsafeBufferPointer<UInt8>, options: CloudEventsOptions
    ) -> Result<(envelopes: [Envelope], isBatch: Bool), ProblemError> {
        if firstSignificantByte(bytes) == UInt8(ascii: "[") {
            return Result { () throws(ProblemError) in (try CloudEvents.parseBatch(bytes, options: options), true) }
        }
        return Result { () throws(ProblemError) in ([try CloudEvents.parseStructured(bytes, options: options)], false) }
    }

    private static func firstSignificantByte(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8? {
        bytes.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
    }

    static func reply(index: Int, problem: ProblemError) -> [UInt8] {
        var bytes = Array(#"{"index":"#.utf8) + Array(String(index).utf8) + Array(#","error":"#.utf8)
        bytes += problem.document(instance: nil)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

/// The events a subscription stream may still send.
final class CreditCounter: Sendable {
    private let credit = Mutex(0)

    var value: Int { credit.withLock { $0 } }

    func add(_ amount: Int) {
        credit.withLock { value in
            let (sum, overflow) = value.addingReportingOverflow(amount)
            value = overflow ? (amount > 0 ? InputBounds.credit.upperBound : 0) : min(max(0, sum), InputBounds.credit.upperBound)
        }
    }
}

/// Fires once: the first stream task to see its certificate revoked audits and closes the stream.
final class RevocationLatch: Sendable {
    private let fired = Mutex(false)

    /// `true` for the first caller only.
    func fire() -> Bool {
        fired.withLock { fired in
            defer { fired = true }
            return !fired
        }
    }
}
