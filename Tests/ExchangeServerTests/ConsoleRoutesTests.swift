import ExchangeAudit
import ExchangeConfig
import ExchangeConsole
import ExchangeEngine
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import ExchangeServer
import ExchangeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TestSupport
import Testing

/// The web console's HTTP side: sessions, CSRF, roles, security headers, and the audit entries
/// of sign-in, page views, refusals and sign-out. (Tests/Console drives the pages in a browser.)
@Suite struct ConsoleRoutesTests {
    struct Fixture: Sendable {
        let store: ExchangeStore
        let exchange: Exchange
        let auditor: String
        let admin: String
        let portal: String
    }

    static func withFixture(
        certificates: [(certificate: String, validity: CertificateValidity)] = [], engine: EngineConfiguration = .init(),
        _ body: (Fixture, Router<ExchangeRequestContext>) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var file = TokenFile()
        let auditor = try file.create(name: "auditor-1", role: .auditor)
        let admin = try file.create(name: "ops", role: .admin)
        let portal = try file.create(name: "portal-1", role: .portal)
        try file.save(path: directory.file("tokens.json"))
        let store = try ExchangeStore(configuration: StoreConfiguration(directory: directory.file("store"), initialMapSize: 16 << 20))
        defer { store.close() }
        let exchange = Exchange(store: store, agreements: AgreementRegistry(), configuration: engine)
        let tokens = try TokenStore(path: directory.file("tokens.json"))
        let configuration = ServerConfiguration(certificatePath: "unused", privateKeyPath: "unused", clientCAPath: "unused")
        let refusals: RefusalObserver = { refusal in await exchange.recordRefusal(refusal) }
        let dependencies = ServerDependencies(identityResolver: StaticCertificateIdentityResolver([]), tokens: tokens, refusalObserver: refusals)
        let router = makeRouter(configuration: configuration, dependencies: dependencies, logger: Logger(label: "test"))
        ConsoleRoutes(
            exchange: exchange, verifier: nil, certificates: { certificates }, configuration: ConsoleConfiguration(), tokens: tokens,
            refusalObserver: refusals)
            .register(on: router)
        try await body(Fixture(store: store, exchange: exchange, auditor: auditor, admin: admin, portal: portal), router)
    }

    static func lastEntry(_ store: ExchangeStore) throws -> [String: Any] {
        let entry = try #require(try store.auditEntries(from: store.auditCount - 1, limit: 1).first)
        return try #require(try JSONSerialization.jsonObject(with: Data(entry)) as? [String: Any])
    }

    /// `name=value` of the response's `Set-Cookie` for `name`.
    static func cookie(_ response: TestResponse, _ name: String) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }?.split(separator: ";").first.map(String.init)
    }

    static func csrf(_ response: TestResponse) throws -> String {
        let html = String(buffer: response.body)
        let match = try #require(html.firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/))
        return String(match.1)
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in with `token`; returns the session cookie.
    static func signIn(_ client: some TestClientProtocol, token: String) async throws -> String? {
        let page = try await client.execute(uri: "/console/signin", method: .get)
        let signIn = try #require(cookie(page, "exchange_console_signin"))
        var headers = formType
        headers[.cookie] = signIn
        let answer = try await client.execute(
            uri: "/console/signin", method: .post, headers: headers,
            body: form(["csrf": try csrf(page), "method": "token", "token": token]))
        #expect(answer.status == .seeOther)
        return cookie(answer, "exchange_console")
    }

    @Test func signInPageViewsAndSignOutAreAudited() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                var entry = try Self.lastEntry(fixture.store)
                #expect(entry["kind"] as? String == "console_session")
                #expect(entry["change"] as? String == "signed_in" && entry["actor"] as? String == "auditor-1")

                let page = try await client.execute(uri: "/console/audit?kind=published", method: .get, headers: [.cookie: session])
                #expect(page.status == .ok)
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.hasPrefix("default-src 'self'") == true)
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(String(buffer: page.body).contains("<html lang=\"zh-CN\">"))
                entry = try Self.lastEntry(fixture.store)
                #expect(entry["kind"] as? String == "audit_read" && entry["actor"] as? String == "auditor-1")
                #expect(entry["endpoint"] as? String == "/console/audit" && entry["query"] as? String == "kind=published")

                var headers = Self.formType
                headers[.cookie] = session
                let out = try await client.execute(uri: "/console/signout", method: .post, headers: headers, body: Self.form(["csrf": try Self.csrf(page)]))
                #expect(out.status == .seeOther)
                entry = try Self.lastEntry(fixture.store)
                #expect(entry["kind"] as? String == "console_session" && entry["change"] as? String == "signed_out")
                let after = try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session])
                #expect(after.status == .seeOther && after.headers[.location] == "/console/signin")
            }
        }
    }

    /// Page views and sign-ins count against the principal's read budget (`audit.read_limit`);
    /// a sign-out does not: it is recorded however many pages were read.
    @Test func pagesPastTheReadBudgetAreRefusedAndASignOutIsStillRecorded() async throws {
        var engine = EngineConfiguration()
        engine.readLimit = .init(perSecond: 0.001, burst: 2)
        try await Self.withFixture(engine: engine) { fixture, router in
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                let page = try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session])
                #expect(page.status == .ok)
                let before = fixture.store.auditCount
                let refused = try await client.execute(uri: "/console/audit", method: .get, headers: [.cookie: session])
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] != nil)
                #expect(fixture.store.auditCount == before, "a refused page view wrote an entry")

                var headers = Self.formType
                headers[.cookie] = session
                let out = try await client.execute(uri: "/console/signout", method: .post, headers: headers, body: Self.form(["csrf": try Self.csrf(page)]))
                #expect(out.status == .seeOther)
                let entry = try Self.lastEntry(fixture.store)
                #expect(entry["kind"] as? String == "console_session" && entry["change"] as? String == "signed_out")
            }
        }
    }

    /// A form is read one way only: a field given twice, or a body sent as another media type,
    /// is refused before anything is done (a sign-out here), not read as its first value.
    @Test func aFormWithARepeatedFieldOrAnotherMediaTypeIsRefused() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                let page = try await client.execute(uri: "/console/departments", method: .get, headers: [.cookie: session])
                let csrf = try Self.csrf(page)
                var headers = Self.formType
                headers[.cookie] = session
                let repeated = try await client.execute(
                    uri: "/console/signout", method: .post, headers: headers, body: ByteBuffer(string: "csrf=\(csrf)&csrf=\(csrf)"))
                #expect(repeated.status == .badRequest)
                #expect(String(buffer: repeated.body).contains("given twice"))
                headers[.contentType] = "application/json"
                let json = try await client.execute(uri: "/console/signout", method: .post, headers: headers, body: Self.form(["csrf": csrf]))
                #expect(json.status == .unsupportedMediaType)
                // Still signed in: neither sign-out took effect.
                let after = try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session])
                #expect(after.status == .ok)
            }
        }
    }

    @Test func postsWithoutTheCSRFTokenAndAnAuditorsRedriveAreRefusedAndAudited() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                let page = try await client.execute(uri: "/console/departments", method: .get, headers: [.cookie: session])
                let csrf = try Self.csrf(page)
                var headers = Self.formType
                headers[.cookie] = session
                for (path, fields) in [
                    ("/console/signout", ["csrf": String(repeating: "0", count: 64)]),
                    ("/console/signout", [:]),
                    ("/console/departments/redrive", ["csrf": csrf, "owner": "tax-bureau", "subscription": "s", "confirm": "yes"]),
                ] {
                    let before = fixture.store.auditCount
                    let answer = try await client.execute(uri: path, method: .post, headers: headers, body: Self.form(fields))
                    #expect(answer.status == .forbidden)
                    #expect(fixture.store.auditCount == before + 1)
                    let entry = try Self.lastEntry(fixture.store)
                    #expect(entry["kind"] as? String == "access_denied" && entry["actor"] as? String == "auditor-1")
                }
                // The session survived the refusals.
                let again = try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session])
                #expect(again.status == .ok)
            }
        }
    }

    @Test func aConsoleFormOver8KiBIsRefusedBeforeItIsRead() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let before = fixture.store.auditCount
                for path in ["/console/signin", "/console/signout", "/console/departments/redrive", "/console/departments/discard"] {
                    var headers = Self.formType
                    headers[.contentLength] = "9000"
                    let answer = try await client.execute(
                        uri: path, method: .post, headers: headers, body: ByteBuffer(string: "csrf=" + String(repeating: "a", count: 8995)))
                    #expect(answer.status == .contentTooLarge, "\(path)")
                    #expect(answer.headers[.contentType] == "application/problem+json")
                    #expect(String(buffer: answer.body).contains("http.body_too_large"))
                }
                #expect(fixture.store.auditCount == before)
                // A form of ordinary size still signs in.
                #expect(try await Self.signIn(client, token: fixture.auditor) != nil)
            }
        }
    }

    @Test func oneTokensSignInsEndOnlyItsOwnOldestSessions() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                let auditor = try #require(try await Self.signIn(client, token: fixture.auditor))
                var admin: [String] = []
                for _ in 0..<9 { admin.append(try #require(try await Self.signIn(client, token: fixture.admin))) }
                func status(_ session: String) async throws -> HTTPResponse.Status {
                    try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session]).status
                }
                #expect(try await status(auditor) == .ok)
                // Eight sessions per principal: the ninth sign-in ended the admin's first.
                #expect(try await status(admin[0]) == .seeOther)
                for session in admin.dropFirst() { #expect(try await status(session) == .ok) }
            }
        }
    }

    @Test func rolesSeeOnlyTheirViews() async throws {
        try await Self.withFixture { fixture, router in
            try await Application(router: router).test(.router) { client in
                #expect(try await Self.signIn(client, token: fixture.portal) == nil)
                let anonymous = try await client.execute(uri: "/console/tracker", method: .get)
                #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/console/signin")
                let admin = try #require(try await Self.signIn(client, token: fixture.admin))
                let audit = try await client.execute(uri: "/console/audit", method: .get, headers: [.cookie: admin])
                #expect(audit.status == .forbidden)
                let departments = try await client.execute(uri: "/console/departments", method: .get, headers: [.cookie: admin])
                #expect(departments.status == .ok)
            }
        }
    }

    @Test func theAuditExplorerPagesThroughFilteredEntries() async throws {
        try await Self.withFixture { fixture, router in
            _ = try await fixture.exchange.audit(
                (0..<60).map { AuditEvent(kind: .tokenChanged, actor: "tokens-file", fields: ["token": .string("t\($0)")]) })
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                func rows(_ uri: String) async throws -> (count: Int, older: String?, html: String) {
                    let page = try await client.execute(uri: uri, method: .get, headers: [.cookie: session])
                    #expect(page.status == .ok)
                    let html = String(buffer: page.body)
                    let older = html.firstMatch(of: /<a href="([^"]+)" rel="next">/).map { String($0.1).replacingOccurrences(of: "&amp;", with: "&") }
                    return (html.matches(of: /<td class="num"><a href="\/console\/audit\/[0-9]+">/).count, older, html)
                }
                let first = try await rows("/console/audit?kind=token_changed")
                #expect(first.count == 50)
                let older = try #require(first.older)
                #expect(older.contains("kind=token_changed") && older.contains("before="))
                let second = try await rows(older)
                #expect(second.count == 10)
                #expect(second.older == nil)
                #expect(second.html.contains("href=\"/console/audit?kind=token_changed\" rel=\"prev\""))
                // Numbers are digits only: a sign is refused, not read as the number.
                for uri in ["/console/audit?before=%2B5", "/console/audit/+5", "/console/tracker?before=%2B5"] {
                    let page = try await client.execute(uri: uri, method: .get, headers: [.cookie: session])
                    #expect(page.status == .badRequest, "\(uri)")
                }
            }
        }
    }

    @Test func theOverviewListsCertificatesThatLapseWithin30DaysOrHaveLapsed() async throws {
        let now = Date()
        let certificates: [(certificate: String, validity: CertificateValidity)] = [
            ("server", CertificateValidity(subject: "CN=exchange.example", notValidAfter: now.addingTimeInterval(100 * 86_400))),
            ("client_ca", CertificateValidity(subject: "CN=Old CA", notValidAfter: now.addingTimeInterval(-86_400))),
            ("client_ca", CertificateValidity(subject: "CN=Lapsing CA", notValidAfter: now.addingTimeInterval(10 * 86_400))),
        ]
        try await Self.withFixture(certificates: certificates) { fixture, router in
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.admin))
                let page = try await client.execute(uri: "/console/overview", method: .get, headers: [.cookie: session])
                #expect(page.status == .ok)
                let html = String(buffer: page.body)
                let list = try #require(html.firstMatch(of: /<ul id="certificates-lapsing">(.*?)<\/ul>/))
                let items = String(list.1)
                #expect(html.contains("30 天内到期或已过期的证书"))
                // Soonest first; the one valid for 100 days is not listed.
                let old = try #require(items.range(of: "CN=Old CA"))
                let lapsing = try #require(items.range(of: "CN=Lapsing CA"))
                #expect(old.lowerBound < lapsing.lowerBound)
                #expect(!items.contains("exchange.example"))
            }
        }
    }

    /// A subject's event and its acknowledgement lie more than the 20,000 entries a page once scanned
    /// apart from the end of the log and from each other: the explorer, the data tracker and the
    /// event's life page find them through the audit log's filter index all the same.
    @Test func theExplorerTrackerAndLifePageFindEntriesBeyondAScanWindow() async throws {
        try await Self.withFixture { fixture, router in
            let route = StoredRoute(consumer: "tax", agreement: "msa-tax", agreementVersion: 1)
            let event = Envelope(id: "old", source: "msa", type: "licence.issued", topic: "licence.business.issued", subject: "L-OLD")
            let sequence = try await fixture.store.append(AppendRequest(envelope: event, routes: [route])).sequence
            let filler = 20_050  // ConsolePages.maxScan (20,000) and more
            for start in stride(from: 0, to: filler, by: 2000) {
                _ = try await fixture.exchange.audit(
                    (start..<min(start + 2000, filler)).map { AuditEvent(kind: .tokenChanged, actor: "tokens-file", fields: ["token": .string("t\($0)")]) })
            }
            _ = try await fixture.exchange.audit([
                AuditEvent(kind: .acknowledged, actor: "tax", fields: ["subscription": "tax-sub", "sequence": .integer(Int64(sequence))])
            ])
            for start in stride(from: 0, to: filler, by: 2000) {
                _ = try await fixture.exchange.audit(
                    (start..<min(start + 2000, filler)).map { AuditEvent(kind: .tokenChanged, actor: "tokens-file", fields: ["token": .string("u\($0)")]) })
            }
            try await Application(router: router).test(.router) { client in
                let session = try #require(try await Self.signIn(client, token: fixture.auditor))
                func html(_ uri: String) async throws -> String {
                    let page = try await client.execute(uri: uri, method: .get, headers: [.cookie: session])
                    #expect(page.status == .ok, "\(uri)")
                    return String(buffer: page.body)
                }
                let explorer = try await html("/console/audit?subject=L-OLD")
                #expect(explorer.matches(of: /<td class="num"><a href="\/console\/audit\/[0-9]+">/).count == 1)
                #expect(explorer.contains("href=\"/console/audit/0\""))
                let tracker = try await html("/console/tracker?subject=L-OLD")
                #expect(tracker.contains("msa-tax"), "the tracker lists the event's recipient")
                let life = try await html("/console/audit/0")
                #expect(life.contains("acknowledged</a> — tax"), "the life page lists the acknowledgement")
            }
        }
    }

    /// The departments page counts waiting events within one budget for the whole page, so
    /// thousands of subscriptions cannot make one view read millions of inbox entries.
    @Test func theDepartmentsPageCountsWaitingEventsWithinOneBudget() async throws {
        try await Self.withFixture { fixture, _ in
            let route = StoredRoute(consumer: "tax", agreement: "msa-tax", agreementVersion: 1)
            for index in 0..<5 {
                let event = Envelope(id: "e\(index)", source: "msa", type: "licence.issued", topic: "licence.business.issued", subject: "L-\(index)")
                _ = try await fixture.store.append(AppendRequest(envelope: event, routes: [route]))
            }
            for name in ["tax-a", "tax-b", "tax-c"] {
                let record = SubscriptionRecord(
                    name: name, owner: "tax", filter: "licence.business.>", ackWaitMilliseconds: 5000, backoffMilliseconds: [],
                    maxDeliver: 3, maxInFlight: 100)
                try await fixture.store.putSubscription(record, position: 1, actor: "tax")
            }
            var pages = ConsolePages(exchange: fixture.exchange, verifier: nil)
            pages.lagCountBudget = 8
            let html = try pages.departments(ConsoleViewer(session: nil, language: .en, path: "/console/departments"))
            func lag(_ name: String) throws -> String {
                let row = try #require(html.firstMatch(of: try Regex("(?s)<tr id=\"sub-\(name)\">(.*?)</tr>")), "\(name)")
                let cells = String(row.output[1].substring ?? "").matches(of: /<td class="num">([^<]*)<\/td>/).map { String($0.1) }
                return cells.count > 1 ? cells[1] : "?"
            }
            #expect(try lag("tax-a") == "5")
            #expect(try lag("tax-b") == "3+", "the budget's rest, as a lower bound")
            #expect(try lag("tax-c") == "—", "not counted once the budget is spent")
        }
    }
}
