import ExchangeModel

/// `RFC3339.parse`: an instant it reads formats to a timestamp that reads back as that instant.
enum RFC3339Target {
    static func run(_ input: FuzzInput) {
        guard let instant = RFC3339.parse(input.text) else { return }
        let formatted = RFC3339.format(nanoseconds: instant)
        require(RFC3339.parse(formatted) == instant, "\(formatted) does not read back as \(instant)")
    }
}
