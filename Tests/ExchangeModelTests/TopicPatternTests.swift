import ExchangeModel
import Testing

@Suite struct TopicPatternTests {
    @Test(arguments: [
        ("licence.food.issued", "licence.food.issued", true),
        ("licence.food.issued", "licence.food", false),
        ("licence.food", "licence.food.issued", false),
        ("licence.*.issued", "licence.food.issued", true),
        ("licence.*.issued", "licence.issued", false),
        ("licence.*.issued", "licence.a.b.issued", false),
        ("licence.*", "licence.food", true),
        ("licence.*", "licence.food.issued", false),
        ("licence.*", "licence", false),
        ("licence.>", "licence.food", true),
        ("licence.>", "licence.food.issued", true),
        ("licence.>", "licence", false),
        (">", "licence", true),
        (">", "licence.food.issued", true),
        ("*", "licence", true),
        ("*", "licence.food", false),
        ("*.*.issued", "case.outcome.issued", true),
        ("licence.*.>", "licence.food", false),
        ("licence.*.>", "licence.food.issued", true),
        ("Licence.food", "licence.food", false),
        ("licence.foo", "licence.food", false),
    ])
    func matchesLikeNATSSubjects(_ pattern: String, _ topic: String, _ expected: Bool) throws {
        let pattern = try #require(TopicPattern(pattern))
        let topic = try #require(Topic(topic))
        #expect(pattern.matches(topic) == expected)
    }

    @Test(arguments: ["", "a..b", ".a", "a.", "a.>.b", "a.b*", "a.>x", "a b", "licence.食品"])
    func refusesInvalidPatterns(_ text: String) {
        #expect(TopicPattern(text) == nil)
        #expect(TopicPattern.syntaxError(text) != nil)
    }

    @Test(arguments: ["a.*", "a.>", "*", ">", "a..b", ""])
    func topicNamesHoldNoWildcards(_ text: String) {
        #expect(Topic(text) == nil)
    }

    @Test func literalPatternsAreMoreSpecificThanWildcards() throws {
        let exact = try #require(TopicPattern("a.b.c")).specificity
        let star = try #require(TopicPattern("a.b.*")).specificity
        let rest = try #require(TopicPattern("a.b.>")).specificity
        let wide = try #require(TopicPattern("a.*.*")).specificity
        let all = try #require(TopicPattern(">")).specificity
        #expect(exact > star)
        #expect(star > rest)
        #expect(rest > wide)
        #expect(wide > all)
    }

    @Test(arguments: [
        ("a.b.c", "a.>", true),
        ("a.b.c", "a.*.c", true),
        ("a.*.c", "a.b.c", false),
        ("a.>", "a.*", false),
        ("a.*", "a.>", true),
        ("a", "a.>", false),
        ("a.>", ">", true),
    ])
    func coverage(_ narrow: String, _ wide: String, _ expected: Bool) throws {
        let narrow = try #require(TopicPattern(narrow))
        let wide = try #require(TopicPattern(wide))
        #expect(narrow.isCovered(by: wide) == expected)
    }
}

@Suite struct TopicPatternTokenTests {
    @Test(arguments: ["a", "a.b", "a.b.c", "x.b.c", "a.x.c.d"])
    func matchingByTokensAgreesWithMatchingByName(_ name: String) throws {
        let topic = try #require(Topic(name))
        for text in ["a", "a.b", "a.*", "a.>", "*.b.c", ">", "a.*.c.>", "*"] {
            let pattern = try #require(TopicPattern(text))
            #expect(pattern.matches(tokens: topic.tokens) == pattern.matches(topic), "\(text) vs \(name)")
        }
    }
}
