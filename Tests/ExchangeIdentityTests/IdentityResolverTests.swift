import ExchangeIdentity
import ExchangeModel
import Testing

@Suite("Certificate identity")
struct IdentityResolverTests {
    let identity = PeerCertificate(
        commonName: "tax-bureau", dnsNames: ["Tax.Example.GOV"], uris: ["spiffe://exchange/tax"],
        sha256Fingerprint: String(repeating: "ab", count: 32))

    @Test func rulesMatch() {
        #expect(CertificateMatchRule.commonName("tax-bureau").matches(identity))
        #expect(!CertificateMatchRule.commonName("Tax-bureau").matches(identity))
        #expect(CertificateMatchRule.dnsName("tax.example.gov").matches(identity))
        #expect(!CertificateMatchRule.dnsName("example.gov").matches(identity))
        #expect(CertificateMatchRule.uri("spiffe://exchange/tax").matches(identity))
        #expect(!CertificateMatchRule.uri("spiffe://exchange/ta").matches(identity))
        let colons = stride(from: 0, to: 32, by: 1).map { _ in "AB" }.joined(separator: ":")
        #expect(CertificateMatchRule.sha256Fingerprint(colons).matches(identity))
        #expect(!CertificateMatchRule.sha256Fingerprint(String(repeating: "ab", count: 31) + "ac").matches(identity))
    }

    @Test func firstMatchingRuleWins() {
        let tax = DepartmentID("tax-bureau")!
        let health = DepartmentID("health")!
        let resolver = StaticCertificateIdentityResolver([
            (health, .uri("spiffe://exchange/health")),
            (tax, .dnsName("tax.example.gov")),
            (health, .commonName("tax-bureau")),
        ])
        #expect(resolver.department(for: identity) == tax)
        let stranger = PeerCertificate(commonName: "nobody", sha256Fingerprint: "00")
        #expect(resolver.department(for: stranger) == nil)
        #expect(StaticCertificateIdentityResolver.commonNames([health, tax]).department(for: identity) == tax)
    }

    @Test func readsIssuedCertificates() throws {
        let ca = try DevelopmentPKI()
        let issued = try ca.issueClientCertificate(commonName: "health", uris: ["spiffe://exchange/health"])
        let der = try issued.certificateDER()
        let identity = try PeerCertificate(derEncoded: der)
        #expect(identity.commonName == "health")
        #expect(identity.uris == ["spiffe://exchange/health"])
        #expect(identity.sha256Fingerprint.count == 64)
        let server = try PeerCertificate(derEncoded: try ca.issueServerCertificate().certificateDER())
        #expect(server.dnsNames == ["localhost"])
    }
}
