import ExchangeConfig

/// `ExchangeConfiguration.parse(yaml:path:)`: the daemon's configuration file read from text.
enum ExchangeConfigurationTarget {
    static func run(_ input: FuzzInput) {
        _ = try? ExchangeConfiguration.parse(yaml: input.text, path: "/nonexistent/exchange.yaml")
    }
}
