import ExchangeRouting
import ExchangeStore
public import Foundation

extension Exchange {
    /// The register of agreements: every agreement of the configuration in force, ordered by
    /// id, with its standing at `now` and its routes per version. One read of the store's
    /// counts (``ExchangeStoreContract/agreementRoutes()``), whatever the number of events.
    /// - Parameter now: the instant the standings are taken at.
    /// - Throws: ``ExchangeError`` when the store cannot be read.
    public func agreementRegister(at now: Date = Date()) throws(ExchangeError) -> [AgreementRegisterEntry] {
        let counts: [AgreementRouteCount]
        do {
            counts = try store.agreementRoutes()
        } catch {
            throw Self.mapped(error)
        }
        let byAgreement = Dictionary(grouping: counts, by: \.agreement)
        return agreements.current.agreements.map { agreement in
            var versions = byAgreement[agreement.id] ?? []
            if let version = UInt32(exactly: agreement.version), !versions.contains(where: { $0.version == version }) {
                versions.append(AgreementRouteCount(agreement: agreement.id, version: version, routes: 0, lastSequence: 0, lastReceivedAt: 0))
            }
            versions.sort { $0.version < $1.version }
            return AgreementRegisterEntry(agreement: agreement, standing: agreement.standing(at: now), versions: versions)
        }
    }
}
