extension TopicPattern {
    /// The pattern closest to this one that matches at least one of `topics`, for a message
    /// such as "did you mean licence.business.>?" when a pattern matches no declared topic; `nil`
    /// when the pattern matches one of them already, or none is close (more than a third of the
    /// pattern's letters would change).
    ///
    /// Each topic is compared token by token with the pattern's tokens: a wildcard costs
    /// nothing, a literal token costs its edit distance to the topic's token; a topic with more
    /// tokens is compared through the pattern's `>`, with fewer it does not qualify. The
    /// suggestion keeps the pattern's wildcards and takes the topic's literal tokens.
    /// - Parameter topics: the declared topics.
    public func nearest(among topics: [Topic]) -> TopicPattern? {
        let literalLength = tokens.reduce(0) { total, token in
            if case .literal(let text) = token { return total + text.count }
            return total
        }
        var best: (cost: Int, pattern: TopicPattern)?
        for topic in topics {
            let parts = topic.tokens
            let endsOpen = tokens.last == .rest
            let compared = endsOpen ? tokens.count - 1 : tokens.count
            guard parts.count == compared || (endsOpen && parts.count > compared) else { continue }
            var cost = 0
            var suggestion: [String] = []
            for (token, part) in zip(tokens.prefix(compared), parts) {
                switch token {
                case .literal(let text):
                    cost += Self.editDistance(text, String(part))
                    suggestion.append(String(part))
                case .any: suggestion.append("*")
                case .rest: suggestion.append(">")
                }
            }
            if endsOpen { suggestion.append(">") }
            // The pattern matches this topic already: nothing to suggest.
            if cost == 0 { return nil }
            guard cost * 3 <= max(literalLength, 3), cost < best?.cost ?? .max,
                let pattern = TopicPattern(suggestion.joined(separator: "."))
            else { continue }
            best = (cost, pattern)
        }
        return best?.pattern
    }

    /// The Levenshtein distance between two texts, by characters.
    static func editDistance(_ left: String, _ right: String) -> Int {
        let a = Array(left)
        let b = Array(right)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
