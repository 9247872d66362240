import ExchangeIdentity
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// The console's forms against the real daemon: anonymous clients posting them slowly cannot
/// hold the connection slots departments need, and one department's sign-ins cannot end an
/// auditor's session.
@Suite("console floods end to end", .serialized)
struct ConsoleFloodEndToEndTests {
    /// One request on its own connection (`Connection: close`); the raw answer, head and body.
    static func exchange(_ daemon: DaemonHarness, _ department: String?, _ request: String) async throws -> String {
        let connection = try await RawConnection.open(port: daemon.port, tls: try daemon.tls(department))
        defer { connection.close() }
        #expect(await connection.waitForHandshake(seconds: 10))
        try await connection.send(request)
        _ = await connection.waitForClose(seconds: 10)
        return connection.text
    }

    /// The value `name` is set to by a `Set-Cookie` of `answer`.
    static func cookie(_ name: String, in answer: String) -> String? {
        for line in answer.split(separator: "\r\n") where line.lowercased().hasPrefix("set-cookie: \(name)=") {
            let value = line.dropFirst("set-cookie: \(name)=".count).prefix { $0 != ";" }
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    /// Signs in through the sign-in form: with `token`, or else with the connection's certificate.
    static func signIn(_ daemon: DaemonHarness, _ department: String?, token: String?) async throws -> String? {
        let page = try await exchange(daemon, department, "GET /console/signin HTTP/1.1\r\nHost: exchange\r\nConnection: close\r\n\r\n")
        guard let csrf = cookie("exchange_console_signin", in: page) else { return nil }
        let form = token.map { "csrf=\(csrf)&method=token&token=\($0)" } ?? "csrf=\(csrf)&method=certificate"
        let answer = try await exchange(
            daemon, department,
            "POST /console/signin HTTP/1.1\r\nHost: exchange\r\nConnection: close\r\nCookie: exchange_console_signin=\(csrf)\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
        return cookie("exchange_console", in: answer)
    }

    /// Anonymous connections holding every slot with slow console forms: a department is still
    /// served (a slow form is evicted for it), a form declaring more than 8 KiB is refused at
    /// once, and a slow form is cut at `server.console_form_timeout` (here 30 s, so that the
    /// setup fits within it on a loaded machine), long before `request_body_timeout`.
    @Test(.timeLimit(.minutes(4)))
    func anonymousSlowConsoleFormsCannotHoldTheSlots() async throws {
        let limit = 10
        let daemon = try DaemonHarness(
            server: ["max_connections": "\(limit)", "console_form_timeout": "30s", "request_body_timeout": "600s"])
        var held: [RawConnection] = []
        do {
            try await daemon.start()
            // A form declaring a megabyte is refused before its body.
            let large = try await RawConnection.openSlowBody(
                port: daemon.port, tls: try daemon.tls(nil), path: "/console/signin", contentType: "application/x-www-form-urlencoded",
                length: 1_000_000, start: "c")
            #expect(await large.waitFor("413", seconds: 5), "\(large.text)")
            large.close()

            // Every slot held by an anonymous connection trickling a console form. Under a heavy
            // load, opening them can take so long that the first ones reach their 30 s deadline
            // and free their slots before the department asks: then nothing is left to evict,
            // and the setup is made again (at most three times).
            var started = ContinuousClock.now
            for _ in 0..<3 {
                let again = !held.isEmpty
                for connection in held { connection.close() }
                held = []
                // Closed from this side: give the daemon a moment to free their slots.
                if again { try await Task.sleep(for: .seconds(1)) }
                started = ContinuousClock.now
                for _ in 0..<limit {
                    held.append(
                        try await RawConnection.openSlowBody(
                            port: daemon.port, tls: try daemon.tls(nil), path: "/console/signin",
                            contentType: "application/x-www-form-urlencoded", length: 4000, start: "csrf="))
                }
                // Until the daemon read every form's head: one it still sees waiting for its
                // request would be evicted first, as it should, and no form would be.
                try await Task.sleep(for: .seconds(1))
                if ContinuousClock.now - started < .seconds(20) { break }
            }
            // A department is served at once, and so is the liveness probe.
            let reply = try await daemon.request("tax", .GET, "/v1/subscriptions/none", timeout: .seconds(5))
            #expect(reply.status == 404)
            let health = try await daemon.request(nil, .GET, "/healthz", timeout: .seconds(5))
            #expect(health.status == 200)
            #expect(held.contains { $0.closedAt != nil }, "no slow console form was evicted")
            // The rest are cut by the 30 s deadline, long before the 600 s request body timeout.
            for connection in held {
                #expect(await connection.waitForClose(seconds: 60) != nil, "a slow console form was held open")
            }
            let seconds = ConnectionLimitEndToEndTests.seconds(ContinuousClock.now - started)
            #expect(seconds < 60, "the slow forms were held \(seconds) s")
            // Not before the configured deadline: the key is in force, not the old fixed 10 s.
            #expect(seconds >= 30, "the slow forms were cut after \(seconds) s")
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(
                ConnectionLimitEndToEndTests.metric(
                    metrics, #"exchange_connections_shed_total{action="evicted",phase="reading_console_form"}"#) >= 1, "\(metrics)")
            for connection in held { connection.close() }
            #expect(try await daemon.stop() == 0)
        } catch {
            for connection in held { connection.close() }
            await daemon.tearDown()
            throw error
        }
        await daemon.tearDown()
    }

    /// A console form sent to the sign-in page under another spelling of its path (an
    /// absolute-form target, empty segments), which the router serves as the same
    /// page, is read as a console form too: cut at `server.console_form_timeout`, not at
    /// `request_body_timeout`.
    @Test(.timeLimit(.minutes(3)))
    func everySpellingOfTheSignInPathIsReadAsAConsoleForm() async throws {
        let daemon = try DaemonHarness(server: ["console_form_timeout": "2s", "request_body_timeout": "300s"])
        try await daemon.use {
            try await daemon.start()
            let targets = ["/console/signin", "https://exchange/console/signin", "//console/signin", "///console//signin"]
            var held: [RawConnection] = []
            for target in targets {
                held.append(
                    try await RawConnection.openSlowBody(
                        port: daemon.port, tls: try daemon.tls(nil), path: target, contentType: "application/x-www-form-urlencoded",
                        length: 4000, start: "csrf="))
            }
            for (target, connection) in zip(targets, held) {
                #expect(await connection.waitForClose(seconds: 60) != nil, "a slow form to \(target) was held open")
            }
            let metrics = try await daemon.request(nil, .GET, "/metrics").text
            #expect(
                ConnectionLimitEndToEndTests.metric(metrics, #"exchange_connection_timeouts_total{kind="request_body"}"#) == Double(targets.count),
                "\(metrics)")
            for connection in held { connection.close() }
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A revoked certificate counts as none for its connection: its console forms are read as
    /// an anonymous client's, cut at `server.console_form_timeout` (and evictable), so that
    /// revoked certificates cannot hold slots with forms read under `request_body_timeout`.
    @Test(.timeLimit(.minutes(3)))
    func aRevokedCertificatesConsoleFormsAreReadAsAnonymousOnes() async throws {
        let daemon = try DaemonHarness(server: ["console_form_timeout": "2s", "request_body_timeout": "300s"])
        let configPath = daemon.directory + "/exchange.yaml"
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "    client_ca: ca.crt\n", with: "    client_ca: ca.crt\n    revoked_certificates: revoked.txt\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let der = try NIOSSLCertificate.fromPEMFile(daemon.directory + "/clients/msa.crt")[0].toDERBytes()
        try (try PeerCertificate(derEncoded: der).sha256Fingerprint + "\n").write(
            toFile: daemon.directory + "/revoked.txt", atomically: true, encoding: .utf8)
        try await daemon.use {
            try await daemon.start()
            let revoked = try await RawConnection.openSlowBody(
                port: daemon.port, tls: try daemon.tls("msa"), path: "/console/signin", contentType: "application/x-www-form-urlencoded",
                length: 4000, start: "csrf=")
            let valid = try await RawConnection.openSlowBody(
                port: daemon.port, tls: try daemon.tls("tax"), path: "/console/signin", contentType: "application/x-www-form-urlencoded",
                length: 4000, start: "csrf=")
            #expect(await revoked.waitForClose(seconds: 60) != nil, "a revoked certificate's slow console form was held open")
            // A valid certificate's form is a department's request: read under the body timeout.
            #expect(valid.closedAt == nil, "a valid certificate's form was cut at the anonymous deadline")
            revoked.close()
            valid.close()
            #expect(try await daemon.stop() == 0)
        }
    }

    /// A department signing in again and again, past the console's global session bound, ends
    /// only its own oldest sessions: the auditor's stays.
    @Test(.timeLimit(.minutes(3)))
    func oneDepartmentsSignInsDoNotEndAnAuditorsSession() async throws {
        let daemon = try DaemonHarness(sections: "console:\n  max_sessions: 5\n")
        try await daemon.use {
            try await daemon.start()
            let auditor = try #require(try await Self.signIn(daemon, nil, token: daemon.auditorToken), "the auditor could not sign in")
            for _ in 0..<12 {
                #expect(try await Self.signIn(daemon, "tax", token: nil) != nil, "tax could not sign in")
            }
            let overview = try await Self.exchange(
                daemon, nil, "GET /console/overview HTTP/1.1\r\nHost: exchange\r\nConnection: close\r\nCookie: exchange_console=\(auditor)\r\n\r\n")
            #expect(overview.hasPrefix("HTTP/1.1 200"), "\(overview.prefix(300))")
            #expect(try await daemon.stop() == 0)
        }
    }
}
