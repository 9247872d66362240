import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

@Suite struct AccessTests {
    typealias F = Fixture

    @Test func onlyTheOwnerMayPublish() throws {
        let set = try F.set()
        #expect(try set.checkPublish(F.dept("msa"), to: "licence.business.issued").owner == F.dept("msa"))
        #expect(throws: AccessDenial(.notTopicOwner, "department 'psb' does not own topic 'licence.business.issued'; its owner is 'msa'")) {
            try set.checkPublish(F.dept("psb"), to: "licence.business.issued")
        }
        #expect(throws: AccessDenial.self) { try set.checkPublish(F.dept("msa"), to: "licence.>") }
        do {
            _ = try set.checkPublish(F.dept("ghost"), to: "licence.business.issued")
            Issue.record("unknown department allowed")
        } catch {
            #expect(error.code == .unknownDepartment)
        }
    }

    @Test func publishingNeedsTheDepartmentRole() throws {
        var auditor = F.department("audit")
        auditor.roles = [.auditor]
        let set = try AgreementSet(departments: F.departments + [auditor], topics: F.topics + [F.topic("audit.note", owner: "audit")], agreements: [])
        do {
            _ = try set.checkPublish(F.dept("audit"), to: "audit.note")
            Issue.record("auditor allowed to publish")
        } catch {
            #expect(error.code == .missingRole)
        }
    }

    @Test func subscribingNeedsAnAgreementInForce() throws {
        let set = try F.set(
            F.agreement("a1", consumers: ["tax"], topics: ["licence.business.issued"]),
            F.agreement("a2", consumers: ["portal"], topics: ["licence.business.>"], status: .suspended),
            F.agreement("a3", consumers: ["court"], topics: ["licence.food.issued"], until: F.now))
        #expect(try set.checkSubscribe(F.dept("tax"), to: TopicPattern("licence.>")!, at: F.now).map(\.rawValue) == ["licence.business.issued"])
        #expect(try set.checkSubscribe(F.dept("tax"), to: TopicPattern("licence.business.issued")!, at: F.now).count == 1)
        for (department, filter) in [("tax", "licence.business.revoked"), ("portal", ">"), ("court", "licence.food.issued"), ("msa", ">"), ("ghost", ">")] {
            #expect(throws: AccessDenial.self, "\(department) \(filter)") {
                try set.checkSubscribe(F.dept(department), to: TopicPattern(filter)!, at: F.now)
            }
        }
        #expect(set.receivableTopics(for: F.dept("court"), at: F.now.addingTimeInterval(-1)).map(\.rawValue) == ["licence.food.issued"])
        #expect(set.receivableTopics(for: F.dept("court"), at: F.now).isEmpty)
    }

    @Test func certificatesMapToOneDepartment() throws {
        let strict = Department(
            id: F.dept("strict"), name: "Strict",
            certificate: CertificateIdentity(subjectCommonName: "strict.example", subjectAlternativeNames: ["strict.example"], fingerprintsSHA256: [String(repeating: "AB", count: 32)]))
        let set = try AgreementSet(departments: F.departments + [strict], topics: [], agreements: [])
        #expect(set.department(for: PresentedCertificate(subjectCommonName: "tax.example"))?.id == F.dept("tax"))
        #expect(set.department(for: PresentedCertificate(subjectCommonName: "unknown.example")) == nil)
        let fingerprint = Array(repeating: "ab", count: 32).joined(separator: ":")
        #expect(set.department(for: PresentedCertificate(subjectCommonName: "strict.example", subjectAlternativeNames: ["strict.example"], fingerprintSHA256: fingerprint))?.id == F.dept("strict"))
        #expect(set.department(for: PresentedCertificate(subjectCommonName: "strict.example", subjectAlternativeNames: ["strict.example"], fingerprintSHA256: String(repeating: "cd", count: 32))) == nil)
        #expect(set.department(for: PresentedCertificate(subjectCommonName: "strict.example", fingerprintSHA256: String(repeating: "ab", count: 32))) == nil)
    }
}
