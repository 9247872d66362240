public import ExchangeConfig
import ExchangeConsole
public import ExchangeAudit
public import ExchangeEngine
public import ExchangeIdentity
import ExchangeModel
import ExchangeStore
import ExchangeWire
import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
public import Prometheus

/// The web console under `/console`: server-rendered pages (``ConsolePages``) behind a session
/// cookie, on the same HTTPS listener as the API.
///
/// - Sign-in (`POST /console/signin`) with an admin or auditor bearer token, or with the
///   department certificate the connection presented; the answer sets the session cookie
///   (`HttpOnly; Secure; SameSite=Strict; Max-Age`, 256 random bits, held in memory,
///   ``ConsoleSessions``). The sign-in form carries an anti-forgery value paired with a cookie.
/// - Every `POST` carries the session's CSRF token (`csrf` form field), compared in constant
///   time; without it the request is refused (403 `auth.forbidden`, audited).
/// - Every page view is audited as a read (`audit_read`, like the auditor API), committed before
///   the page is answered.
/// - Every answer has a strict Content-Security-Policy (`default-src 'self'`, no inline script
///   or style), `frame-ancestors 'none'`, `X-Frame-Options: DENY`, `nosniff`, no referrer,
///   and `Cache-Control: no-store`.
public struct ConsoleRoutes: Sendable {
    let pages: ConsolePages
    let sessions: ConsoleSessions
    let tokens: TokenStore?
    let refusalObserver: RefusalObserver

    static let sessionCookie = "exchange_console"
    static let signInCookie = "exchange_console_signin"
    static let languageCookie = "console_lang"

    /// Creates the routes.
    /// - Parameters:
    ///   - exchange: the engine the pages read.
    ///   - verifier: the audit log's verifier key, for the proof check; `nil` when checkpoints are not signed.
    ///   - mapUse: the store's map use, 0 to 1, for the overview.
    ///   - configuration: session lifetime and bound.
    ///   - tokens: the bearer tokens admins and auditors sign in with.
    ///   - refusalObserver: receives refused console requests to audit.
    ///   - metrics: the daemon's Prometheus registry, whose deliveries, acknowledgements and
    ///     commit durations the overview shows as rates; `nil` shows none.
    ///   - certificates: the certificates in force (``ServerTLSContext/certificateValidities``),
    ///     which the overview lists when they lapse within 30 days.
    public init(
        exchange: Exchange, verifier: NoteVerifier?, mapUse: @escaping @Sendable () -> Double? = { nil },
        metrics: PrometheusCollectorRegistry? = nil,
        certificates: @escaping @Sendable () -> [(certificate: String, validity: CertificateValidity)] = { [] },
        configuration: ConsoleConfiguration, tokens: TokenStore?, refusalObserver: @escaping RefusalObserver
    ) {
        self.pages = ConsolePages(
            exchange: exchange, verifier: verifier, mapUse: mapUse, counters: { metrics.map(Self.counters) ?? [:] },
            certificates: certificates)
        self.sessions = ConsoleSessions(
            lifetime: configuration.sessionLifetime, maxCount: configuration.maxSessions,
            maxPerPrincipal: configuration.maxSessionsPerPrincipal)
        self.tokens = tokens
        self.refusalObserver = refusalObserver
    }

    /// Registers the console's routes on the root router.
    public func register(on router: Router<ExchangeRequestContext>) {
        let group = router.group("console").add(middleware: ConsoleHeadersMiddleware())
        router.get("console") { _, _ in Self.redirect("/console/overview") }
        group.get("assets/:name") { _, context in
            guard let name = context.parameters.get("name"), let asset = ConsoleAssets.files[name] else {
                throw ProblemError(.notFound, detail: "no such console asset")
            }
            return Response(
                status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
        }
        group.get("signin") { request, context in try await signInPage(request, context) }
        group.post("signin") { request, context in try await signIn(request, context) }
        group.post("signout") { request, context in try await signOut(request, context) }
        group.get("overview") { request, context in
            try await page(request, context, .overview) { try pages.overview($0) }
        }
        group.get("agreements") { request, context in
            try await page(request, context, .agreements) { try pages.agreements($0) }
        }
        group.get("departments") { request, context in
            let redriven = request.uri.queryParameters.get("redriven").flatMap { Int($0) }
            let discarded = request.uri.queryParameters.get("discarded").flatMap { Int($0) }
            return try await page(request, context, .departments) { try pages.departments($0, redriven: redriven, discarded: discarded) }
        }
        group.post("departments/redrive") { request, context in try await deadLetters(request, context, discard: false) }
        group.post("departments/discard") { request, context in try await deadLetters(request, context, discard: true) }
        group.get("audit") { request, context in
            let query = try Self.auditQuery(request)
            return try await page(request, context, .audit) { try pages.audit($0, query: query) }
        }
        group.get("audit/:index") { request, context in
            guard let text = context.parameters.get("index"), ExchangeRoutes.isDigits(text), let index = UInt64(text) else {
                throw ProblemError(.badRequest, detail: "the entry index must be a whole number from 0")
            }
            return try await page(request, context, .audit) { try pages.entry($0, index: index) }
        }
        group.get("tracker") { request, context in
            let subject = request.uri.queryParameters.get("subject")
            if let subject, subject.utf8.count > 511 {
                throw ProblemError(.badRequest, detail: "subject is longer than 511 bytes")
            }
            var before: UInt64?
            if let text = request.uri.queryParameters.get("before") {
                guard ExchangeRoutes.isDigits(text), let number = UInt64(text) else {
                    throw ProblemError(.badRequest, detail: "before must be a whole number from 0")
                }
                before = number
            }
            return try await page(request, context, .tracker) { try pages.tracker($0, subject: subject, before: before) }
        }
    }

    // MARK: Pages

    /// A page for a signed-in viewer allowed to open `page`, audited as a read before it is
    /// rendered. Without a session: a redirect to the sign-in page; a department asking for the
    /// overview is sent to its subscriptions. `render` returning `nil` answers 404.
    func page(
        _ request: Request, _ context: ExchangeRequestContext, _ page: ConsolePage,
        render: (ConsoleViewer) async throws -> String?
    ) async throws -> Response {
        let language = Self.language(request)
        guard let session = await liveSession(request, context) else {
            return Self.redirect("/console/signin")
        }
        let viewer = ConsoleViewer(session: session, language: language, path: request.uri.path)
        guard viewer.may(page) else {
            // A department's first page is its own subscriptions.
            if page == .overview, session.principal.role == .department { return Self.redirect(ConsolePage.departments.path) }
            throw await refuse(request, context, session: session, detail: "role \(session.principal.role) may not open the \(page.rawValue) view")
        }
        try await pages.exchange.auditRead(actor: session.principal.actor, endpoint: request.uri.path, query: request.uri.query ?? "")
        guard let html = try await render(viewer) else {
            throw ProblemError(.notFound, detail: "no such entry")
        }
        return Self.html(html, request: request)
    }

    func signInPage(_ request: Request, _ context: ExchangeRequestContext) async throws -> Response {
        let language = Self.language(request)
        if await liveSession(request, context) != nil, request.uri.queryParameters.get("failed") == nil {
            return Self.redirect("/console/overview")
        }
        let token = ConsoleSecrets.random256()
        let viewer = ConsoleViewer(session: nil, language: language, path: request.uri.path)
        let html = pages.signIn(
            viewer, signInToken: token, certificateDepartment: context.principal?.department?.rawValue,
            failed: request.uri.queryParameters.get("failed") != nil, signedOut: request.uri.queryParameters.get("signedout") != nil)
        var response = Self.html(html, request: request)
        response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.signInCookie, token, maxAge: 600)))
        return response
    }

    func signIn(_ request: Request, _ context: ExchangeRequestContext) async throws -> Response {
        let form = try await Self.form(request, context)
        guard let expected = request.cookies[Self.signInCookie]?.value, let sent = form["csrf"], ConsoleSecrets.constantTimeEquals(expected, sent) else {
            throw await refuse(request, context, session: nil, detail: "the sign-in form's anti-forgery value is missing or wrong")
        }
        let principal: Principal?
        switch form["method"] {
        case "certificate":
            principal = context.principal?.department.map { Principal.department($0) }
        default:
            let candidate = form["token"].flatMap { tokens?.principal(forSecret: $0) }
            principal = candidate.flatMap { [.admin, .auditor].contains($0.role) ? $0 : nil }
        }
        guard let principal else {
            await refusalObserver(
                RequestRefusal(
                    actor: nil, role: nil, source: context.channel.remoteAddress?.ipAddress ?? "unknown", method: "POST",
                    path: request.uri.path, status: 401, code: ProblemCode.invalidToken.rawValue,
                    detail: "console sign-in with an unknown, revoked or unsuitable token or certificate"))
            return Self.redirect("/console/signin?failed=1")
        }
        // Counted against the principal's read budget (`audit.read_limit`).
        try await pages.exchange.auditAnsweredRead(
            Self.sessionEntry(principal, change: "signed_in", method: form["method"] == "certificate" ? "certificate" : "token"))
        let session = sessions.start(
            for: principal, certificateFingerprint: principal.role == .department ? context.certificateFingerprint : nil)
        var response = Self.redirect(principal.role == .department ? ConsolePage.departments.path : ConsolePage.overview.path)
        let seconds = Int(sessions.lifetime.components.seconds)
        response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.sessionCookie, session.id, maxAge: seconds)))
        response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.signInCookie, "", maxAge: 0)))
        return response
    }

    func signOut(_ request: Request, _ context: ExchangeRequestContext) async throws -> Response {
        let session = try await requireSession(request, context, form: try await Self.form(request, context))
        // Of several sign-outs of one session at once, only the one that ended it is recorded.
        if sessions.end(session.id) {
            // Not counted, and written from the store's reserve as essential entries are, so that
            // it is recorded: one per session at most, so bounded by the counted sign-ins.
            try await pages.exchange.audit([Self.sessionEntry(session.principal, change: "signed_out", method: nil)], priority: .essential)
        }
        var response = Self.redirect("/console/signin?signedout=1")
        response.headers.append(HTTPField(name: .setCookie, value: Self.cookie(Self.sessionCookie, "", maxAge: 0)))
        return response
    }

    /// Redrives or discards every dead letter of a subscription: admins only, with the CSRF
    /// token and a ticked confirmation.
    func deadLetters(_ request: Request, _ context: ExchangeRequestContext, discard: Bool) async throws -> Response {
        let action = discard ? "discard" : "redrive"
        let form = try await Self.form(request, context)
        let session = try await requireSession(request, context, form: form)
        guard session.principal.role == .admin else {
            throw await refuse(request, context, session: session, detail: "only admins may \(action) dead letters")
        }
        guard form["confirm"] == "yes" else {
            throw ProblemError(.badRequest, detail: "confirm the \(action)")
        }
        guard let owner = form["owner"].flatMap({ DepartmentID($0) }), let subscription = form["subscription"],
            subscription.utf8.count <= 64
        else {
            throw ProblemError(.badRequest, detail: "owner and subscription are required")
        }
        if discard {
            let discarded = try await pages.discardAll(subscription: subscription, owner: owner, actor: session.principal.actor)
            return Self.redirect("/console/departments?discarded=\(discarded)")
        }
        let moved = try await pages.redriveAll(subscription: subscription, owner: owner, actor: session.principal.actor)
        return Self.redirect("/console/departments?redriven=\(moved)")
    }

    /// The session of a state-changing request, after checking its CSRF token.
    func requireSession(_ request: Request, _ context: ExchangeRequestContext, form: [String: String]) async throws -> ConsoleSession {
        guard let session = await liveSession(request, context) else {
            throw ProblemError(.unauthenticated, detail: "sign in to the console first")
        }
        guard session.acceptsCSRFToken(form["csrf"]) else {
            throw await refuse(request, context, session: session, detail: "the request carries no valid CSRF token")
        }
        return session
    }

    /// The `console_session` entry of a sign-in or sign-out, written before the answer.
    static func sessionEntry(_ principal: Principal, change: String, method: String?) -> AuditEvent {
        var fields: [String: AuditValue] = ["change": .string(change), "role": .string(principal.role.rawValue)]
        if let method { fields["method"] = .string(method) }
        return AuditEvent(kind: .consoleSession, actor: principal.actor, fields: fields)
    }

    /// Audits a refusal under the session's identity and returns the problem to throw.
    func refuse(_ request: Request, _ context: ExchangeRequestContext, session: ConsoleSession?, detail: String) async -> ProblemError {
        var problem = ProblemError(.forbidden, detail: detail)
        var identified = context
        if let session { identified.principal = session.principal }
        await refusalObserver(ProblemMiddleware.refusal(problem, request: request, context: identified))
        problem.isAudited = true
        return problem
    }

    /// The exposition's series the overview reads, by name (`exchange_deliveries_total` and so on).
    static let counterSeries: [String: ConsoleCounter] = [
        "exchange_deliveries_total": .deliveries, "exchange_acks_total": .acks,
        "exchange_commit_duration_seconds_sum": .commitSeconds, "exchange_commit_duration_seconds_count": .commits,
    ]

    /// The overview's counters, read from the registry's text exposition (the series have no labels).
    static func counters(_ registry: PrometheusCollectorRegistry) -> [ConsoleCounter: Double] {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        var counters: [ConsoleCounter: Double] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("exchange_") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let counter = counterSeries[String(parts[0])], let value = Double(parts[1]) else { continue }
            counters[counter] = value
        }
        return counters
    }

    // MARK: HTTP helpers

    static func language(_ request: Request) -> ConsoleLanguage {
        ConsoleLanguage.chosen(query: request.uri.queryParameters.get("lang"), cookie: request.cookies[languageCookie]?.value)
    }

    static func html(_ text: String, request: Request) -> Response {
        var response = Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        if let chosen = request.uri.queryParameters.get("lang").flatMap(ConsoleLanguage.init(rawValue:)) {
            response.headers.append(HTTPField(name: .setCookie, value: cookie(languageCookie, chosen.rawValue, maxAge: 365 * 86_400)))
        }
        return response
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; Secure; SameSite=Strict"
    }

    /// The largest console form body: 8 KiB. A form declaring more is refused at once.
    static let maxFormBody = 8 * 1024

    /// The `application/x-www-form-urlencoded` body, at most ``maxFormBody`` bytes: a larger
    /// declared `Content-Length` is answered 413 `http.body_too_large` before any of the body is
    /// read, and a streamed body is cut there. (A connection without a client certificate reads
    /// its console form under ``ConnectionLimits/consoleFormTimeout`` and may be evicted
    /// meanwhile: see ``HTTPRequestGuard``.)
    static func form(_ request: Request, _ context: ExchangeRequestContext) async throws -> [String: String] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxFormBody {
            throw ProblemError(.bodyTooLarge, detail: "a console form is at most \(maxFormBody) bytes; this one declares \(declared)")
        }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == formMediaType else {
            throw ProblemError(.unsupportedMediaType, detail: "a console form is sent as \(formMediaType)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxFormBody)
        } catch is NIOTooManyBytesError {
            throw ProblemError(.bodyTooLarge, detail: "a console form is at most \(maxFormBody) bytes")
        }
        return try parseForm(String(buffer: buffer))
    }

    /// The media type of the console's forms.
    static let formMediaType = "application/x-www-form-urlencoded"

    /// Decodes `a=b&c=d` (`+` is a space, `%XX` a byte). A name given twice, or a name or value
    /// whose percent-encoding does not decode, is refused: a form is read one way only.
    static func parseForm(_ text: String) throws(ProblemError) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first.flatMap(decode), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw ProblemError(.badRequest, detail: "a form field is not percent-encoded UTF-8")
            }
            guard fields[name] == nil else {
                throw ProblemError(.badRequest, detail: "form field '\(String(name.prefix(64)))' is given twice")
            }
            fields[name] = value
        }
        return fields
    }

    static func auditQuery(_ request: Request) throws -> ConsoleAuditQuery {
        var query = ConsoleAuditQuery()
        let parameters = request.uri.queryParameters
        for name in ["kind", "department", "agreement", "subject", "from", "until", "before"] {
            guard let value = parameters.get(name), !value.isEmpty else { continue }
            guard value.utf8.count <= 511 else { throw ProblemError(.badRequest, detail: "\(name) is longer than 511 bytes") }
            query.form[name] = value
        }
        query.filter.kind = query.form["kind"]
        query.filter.department = query.form["department"]
        query.filter.agreement = query.form["agreement"]
        query.subject = query.form["subject"]
        if let text = query.form["from"] {
            guard let time = RFC3339.parse(text) else { throw ProblemError(.badRequest, detail: "from must be an RFC 3339 time") }
            query.filter.from = time
        }
        if let text = query.form["until"] {
            guard let time = RFC3339.parse(text) else { throw ProblemError(.badRequest, detail: "until must be an RFC 3339 time") }
            query.filter.until = time
        }
        if let text = query.form["before"] {
            guard ExchangeRoutes.isDigits(text), let before = UInt64(text) else {
                throw ProblemError(.badRequest, detail: "before must be a whole number from 0")
            }
            query.before = before
        }
        return query
    }
}

/// Adds the console's security headers to every answer under `/console`.
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = ExchangeRequestContext

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; "
        + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Content-Security-Policy")!] = Self.contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
