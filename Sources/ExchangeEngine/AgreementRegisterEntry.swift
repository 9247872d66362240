public import ExchangeRouting
public import ExchangeStore

/// One agreement as the register of agreements shows it (`GET /v1/agreements`): its terms
/// from the configuration in force, where it stands now, and what it has routed.
public struct AgreementRegisterEntry: Sendable {
    /// The agreement's terms in force.
    public var agreement: Agreement
    /// Where it stands at the instant of the register.
    public var standing: Agreement.Standing
    /// The versions known: each version that routed events (from the store's counts), and the
    /// version in force, ordered by version. A version that routed nothing and is not the one in
    /// force is not known to the store; its terms are in the `agreements_changed` audit entries.
    public var versions: [AgreementRouteCount]

    /// Routes (inbox entries) made under every version.
    public var routes: UInt64 { versions.reduce(0) { $0 &+ $1.routes } }

    /// The last event routed under any version, or `nil` when none was.
    public var lastRouted: AgreementRouteCount? {
        versions.filter { $0.routes > 0 }.max { $0.lastSequence < $1.lastSequence }
    }
}
