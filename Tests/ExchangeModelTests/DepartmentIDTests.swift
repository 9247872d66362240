import ExchangeModel
import Testing

@Suite struct DepartmentIDTests {
    @Test(arguments: ["tax-bureau", "market_regulation", "psb.city-01", String(repeating: "a", count: 64)])
    func acceptsValidIdentifiers(_ text: String) {
        #expect(DepartmentID(text)?.rawValue == text)
    }

    @Test(arguments: ["", "tax bureau", "税务局", "a/b", String(repeating: "a", count: 65)])
    func refusesInvalidIdentifiers(_ text: String) {
        #expect(DepartmentID(text) == nil)
    }
}
