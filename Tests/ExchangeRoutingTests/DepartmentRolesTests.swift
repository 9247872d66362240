import ExchangeModel
import ExchangeRouting
import Foundation
import Testing

/// Which roles `departments.yaml` may give a department's certificate.
@Suite struct DepartmentRolesTests {
    @Test(arguments: ["auditor", "admin"])
    func tokenRolesOnADepartmentAreRefused(role: String) throws {
        let config = try TemporaryConfiguration(departments: """
            departments:
              - id: msa
                name: Market Regulation
                certificate: {subject_cn: msa.example}
              - id: tax
                name: Tax Bureau
                certificate: {subject_cn: tax.example}
              - id: psb
                name: Public Security
                certificate: {subject_cn: psb.example}
                roles: [department, \(role)]
            """)
        let report = config.loader.load().report
        #expect(!report.isApplied)
        let error = try #require(report.errors.first { $0.key == "departments[2].roles[1]" }, "\(report.errors)")
        #expect(error.code == .invalidValue)
        #expect(error.message.contains("role '\(role)' cannot be given to a department's certificate"))
        #expect(error.message.contains("exchangectl token create --role \(role)"))
        #expect(error.line == 11)
    }

    @Test func departmentAndPortalRolesLoad() throws {
        let config = try TemporaryConfiguration(departments: """
            departments:
              - id: msa
                name: Market Regulation
                certificate: {subject_cn: msa.example}
              - id: tax
                name: Tax Bureau
                certificate: {subject_cn: tax.example}
                roles: [department, portal]
              - id: psb
                name: Public Security
                certificate: {subject_cn: psb.example}
            """)
        let set = try #require(config.loader.load().set)
        #expect(set.department(DepartmentID("tax")!)?.roles == [.department, .portal])
    }
}
