import ExchangeModel
import Testing

/// A pattern that matches no declared topic is answered with the nearest one that does.
@Suite struct TopicSuggestionTests {
    static let topics = ["licence.business.issued", "licence.business.revoked", "licence.food.issued", "case.outcome.closed"].map { Topic($0)! }

    @Test(arguments: [
        ("licence.busines.>", "licence.business.>"),
        ("licence.bussiness.issued", "licence.business.issued"),
        ("licence.*.isued", "licence.*.issued"),
        ("case.outcome.closd", "case.outcome.closed"),
        ("licnce.food.>", "licence.food.>"),
    ])
    func typosGetTheNearestPattern(_ typo: String, _ expected: String) {
        #expect(TopicPattern(typo)!.nearest(among: Self.topics)?.rawValue == expected)
    }

    @Test(arguments: ["weather.today", "licence.business.issued", "x.>", "licence.business.issued.extra"])
    func nothingCloseOrAMatchGetsNoSuggestion(_ text: String) {
        #expect(TopicPattern(text)!.nearest(among: Self.topics) == nil)
    }
}
