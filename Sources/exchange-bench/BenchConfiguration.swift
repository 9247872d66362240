/// The configuration files of a daemon started by the end-to-end modes: a publishing and a
/// consuming department, one topic and one agreement for the load, one registry topic feeding the
/// `bench-licences` collection and an agreement giving it to the consumer (as the portal); an
/// auditor token and a portal token named after the consumer are added beside them.
enum BenchConfiguration {
    static let publisher = "bench-publisher"
    static let consumer = "bench-consumer"
    static let auditor = "bench-auditor"
    static let licenceTopic = "bench.licence.issued"
    static let collection = "bench-licences"
    static let licenceAgreement = "bench-licences"
    /// The agreement that routes the bench topic to the consumer.
    static let loadAgreement = "bench"

    static let departments = """
        departments:
          - id: \(publisher)
            name: Bench Publisher
            certificate:
              subject_cn: \(publisher)
          - id: \(consumer)
            name: Bench Consumer
            certificate:
              subject_cn: \(consumer)
            roles: [department, portal]

        """

    static let topics = """
        registries:
          - name: \(collection)
            holder: /holder/credit_code
            type: /licence_type
            valid_from: /valid_from
            valid_until: /valid_until
        topics:
          - name: \(BenchDaemon.topic)
            owner: \(publisher)
            key: /k
          - name: \(licenceTopic)
            owner: \(publisher)
            key: /licence_no
            registry: \(collection)

        """

    static let agreement = """
        id: \(loadAgreement)
        version: 1
        title: Benchmark load
        provider: \(publisher)
        consumers: [\(consumer)]
        topics:
          - \(BenchDaemon.topic)
        purpose: Measure the exchange end to end.
        legal_basis: none, benchmark only
        valid_from: 2020-01-01T00:00:00Z
        valid_until: 2099-01-01T00:00:00Z
        status: active

        """

    static let licences = """
        id: \(licenceAgreement)
        version: 1
        title: Benchmark licence registry
        provider: \(publisher)
        consumers: [\(consumer)]
        topics:
          - \(licenceTopic)
        fields: [/licence_no, /holder/credit_code, /holder/name, /licence_type, /valid_from, /valid_until]
        purpose: Measure registry look-ups.
        legal_basis: none, benchmark only
        valid_from: 2020-01-01T00:00:00Z
        valid_until: 2099-01-01T00:00:00Z
        status: active

        """

    /// Client certificates are optional at the TLS layer so that the auditor's bearer token
    /// can connect without one. Port 0 and info level: the daemon logs its address in the "exchange ready" line, and
    /// successful requests only at debug.
    /// The daemon's exchange.yaml; `storeSettings` are `key: value` lines added under `store:`.
    static func exchange(storeSettings: [String] = []) -> String {
        let extra = storeSettings.map { "  \($0)\n" }.joined()
        return """
        store:
          directory: data
          initial_map_size: 1GiB
        \(extra)server:
          host: 127.0.0.1
          port: 0
          tls:
            certificate: server.crt
            private_key: server.key
            client_ca: ca.crt
            require_client_certificate: false
          tokens_file: tokens.json
        log:
          level: info

        """
    }
}
