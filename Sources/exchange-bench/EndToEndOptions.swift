import ArgumentParser

/// Options shared by the end-to-end modes, which drive a running `exchanged` over HTTPS and
/// WebSocket with mutual TLS.
///
/// Without `--url` a mode starts its own daemon beside the benchmark binary, in a temporary
/// directory with a generated PKI and configuration, and stops it when done.
struct EndToEndOptions: ParsableArguments {
    @Option(help: "Events to publish (or to load, for replay).")
    var count = 100_000

    @Option(help: "Bytes of event data per event.")
    var size = 1024

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Drive an already running daemon at this base URL, e.g. https://127.0.0.1:8443.")
    var url: String?

    @Option(help: "With --url: the CA certificate (PEM) the server's certificate chains to.")
    var ca = "Config/pki/ca.crt"

    @Option(help: "With --url: the publishing department's client certificate (PEM).")
    var cert = "Config/pki/clients/market-regulation.crt"

    @Option(help: "With --url: the publishing department's private key (PEM).")
    var key = "Config/pki/clients/market-regulation.key"

    @Option(help: "With --url: the consuming department's client certificate (PEM), for latency.")
    var consumerCert = "Config/pki/clients/tax-bureau.crt"

    @Option(help: "With --url: the consuming department's private key (PEM), for latency.")
    var consumerKey = "Config/pki/clients/tax-bureau.key"

    @Option(help: "The topic to publish to; with --url it must exist, be owned by --cert's department and accept the bench data.")
    var topic = BenchDaemon.topic

    @Option(help: "Seconds after which any single wait (connect, request, reply) gives up.")
    var timeout = 60

    @Option(
        name: .customLong("store-setting"),
        help: "A 'key: value' line added under 'store:' in the started daemon's exchange.yaml, e.g. 'index_merge_threshold: 256' (repeatable; not with --url).")
    var storeSettings: [String] = []

    func validateCommon() throws {
        guard count >= 1, count <= 100_000_000 else { throw ValidationError("--count must be from 1 to 100000000") }
        guard size >= 16, size <= 900_000 else { throw ValidationError("--size must be from 16 to 900000") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
        for setting in storeSettings {
            guard setting.contains(": "), !setting.contains(where: \.isNewline), !setting.hasPrefix(" ") else {
                throw ValidationError("--store-setting must be one 'key: value' line, e.g. 'index_merge_threshold: 256'")
            }
        }
        guard url == nil || storeSettings.isEmpty else { throw ValidationError("--store-setting applies to a daemon started here, not to --url") }
    }
}
