import ExchangeConsole
import ExchangeWire
import Hummingbird

extension ConsoleRoutes {
    /// The live session the request's cookie names, or `nil`.
    ///
    /// A session a department signed in to with its certificate is honoured only while the
    /// connection presents that same certificate and it is not revoked
    /// (`server.tls.revoked_certificates`, as reloaded): otherwise the session ends at once and
    /// the refusal is audited (`auth.certificate_revoked`, or `auth.unauthenticated` for another
    /// or no certificate), so that the request is answered as one without a session.
    func liveSession(_ request: Request, _ context: ExchangeRequestContext) async -> ConsoleSession? {
        guard let session = sessions.session(request.cookies[Self.sessionCookie]?.value) else { return nil }
        guard let bound = session.certificateFingerprint else { return session }
        let problem: ProblemError
        if context.certificateFingerprint != bound {
            problem = ProblemError(
                .unauthenticated,
                detail: "the console session was signed in with the client certificate SHA-256 \(bound), which this connection does not present; "
                    + "the session is ended")
        } else if context.isCertificateRevoked {
            problem = ProblemError(
                .certificateRevoked,
                detail: "the client certificate (SHA-256 \(bound)) the console session was signed in with is revoked "
                    + "(server.tls.revoked_certificates); the session is ended")
        } else {
            return session
        }
        sessions.end(session.id)
        var identified = context
        identified.principal = session.principal
        await refusalObserver(ProblemMiddleware.refusal(problem, request: request, context: identified))
        return nil
    }
}
