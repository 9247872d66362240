import ExchangeConfig
import ExchangeModel
import ExchangeStore
import Foundation
import Logging
import TestSupport
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    let tls = """
        server:
          tls:
            certificate: pki/server.crt
            private_key: pki/server.key
            client_ca: /etc/exchange/ca.crt

        """

    func error(_ yaml: String) -> ConfigKeyError? {
        do {
            _ = try ExchangeConfiguration.parse(yaml: yaml, path: "/etc/exchange/exchange.yaml")
            return nil
        } catch let error as ConfigKeyError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func defaultsAndResolvedPaths() throws {
        let configuration = try ExchangeConfiguration.parse(yaml: tls, path: "/etc/exchange/exchange.yaml")
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8443)
        #expect(configuration.server.certificatePath == "/etc/exchange/pki/server.crt")
        #expect(configuration.server.clientCAPath == "/etc/exchange/ca.crt")
        #expect(configuration.server.requireClientCertificate == false)
        #expect(configuration.server.limits == ServerLimits(maxEventSize: 1 << 20, maxBatchEvents: 1000, maxRequestBody: 16 << 20))
        #expect(configuration.server.tokensPath == nil)
        #expect(
            configuration.server.connections
                == ConnectionLimits(
                    maxConnections: 4096, handshakeTimeout: .seconds(10), requestHeadTimeout: .seconds(10), idleTimeout: .seconds(60),
                    consoleFormTimeout: .seconds(10), webSocketPingInterval: .seconds(30)))
        #expect(configuration.store.directory == "/etc/exchange/data")
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .text)
    }

    @Test func logFormatJSON() throws {
        let configuration = try ExchangeConfiguration.parse(
            yaml: "server:\n  tls:\n" + Self.tlsKeys + "log:\n  format: json\n", path: "/etc/exchange/exchange.yaml")
        #expect(configuration.logFormat == .json)
    }

    @Test func relativePathsResolveAgainstTheConfigurationFilesDirectory() throws {
        let yaml = tls + "\nstore:\n  directory: ../data\n"
        let configuration = try ExchangeConfiguration.parse(yaml: yaml, path: "Config/exchange.yaml")
        let working = FileManager.default.currentDirectoryPath
        #expect(configuration.store.directory == working + "/data")
        #expect(configuration.server.certificatePath == working + "/Config/pki/server.crt")
    }

    @Test func readsEveryKey() throws {
        let yaml = """
            store:
              directory: /var/lib/exchange
              max_map_size: 2GiB
              index_merge_threshold: 512
              bookkeeping_linger: 3ms
            server:
              host: 0.0.0.0
              port: 9443
              tls:
                certificate: a.pem
                private_key: b.pem
                client_ca: c.pem
                require_client_certificate: true
              tokens_file: tokens.json
              max_connections: 500
              handshake_timeout: 5s
              request_head_timeout: 2500ms
              idle_timeout: 2m
              console_form_timeout: 3s
              websocket_ping_interval: 0
              metrics_access: operator
            limits:
              max_event_size: 64KiB
              max_batch_events: 50
              max_request_body: 1MiB
            log:
              level: debug
            """
        let configuration = try ExchangeConfiguration.parse(yaml: yaml, path: "/srv/x.yaml")
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 9443)
        #expect(configuration.server.requireClientCertificate)
        #expect(configuration.server.tokensPath == "/srv/tokens.json")
        #expect(configuration.server.metricsAccess == .operator)
        #expect(configuration.server.limits == ServerLimits(maxEventSize: 65536, maxBatchEvents: 50, maxRequestBody: 1 << 20))
        #expect(
            configuration.server.connections
                == ConnectionLimits(
                    maxConnections: 500, handshakeTimeout: .seconds(5), requestHeadTimeout: .milliseconds(2500),
                    idleTimeout: .seconds(120), consoleFormTimeout: .seconds(3), webSocketPingInterval: nil))
        #expect(configuration.store.maxMapSize == 2 << 30)
        #expect(configuration.store.indexMergeThreshold == 512)
        #expect(configuration.store.bookkeepingLinger == .milliseconds(3))
        #expect(configuration.logLevel == .debug)
    }

    static let tlsKeys = "    certificate: a.crt\n    private_key: a.key\n    client_ca: ca.crt\n"

    @Test(arguments: [
        ("server:\n  port: 8443\n", "server.tls.certificate"),
        ("server:\n  tls:\n    certificate: a.crt\n    client_ca: ca.crt\n", "server.tls.private_key"),
        ("server:\n  tls:\n    certificate: a.crt\n    private_key: a.key\n    client_ca: \"\"\n", "server.tls.client_ca"),
        ("server:\n  port: 70000\n  tls:\n" + ConfigurationTests.tlsKeys, "server.port"),
        ("server:\n  port: eighty\n  tls:\n" + ConfigurationTests.tlsKeys, "server.port"),
        ("server:\n  host: \"\"\n  tls:\n" + ConfigurationTests.tlsKeys, "server.host"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "    require_client_certificate: maybe\n", "server.tls.require_client_certificate"),
        ("server:\n  tokens_fle: x.json\n  tls:\n" + ConfigurationTests.tlsKeys, "server.tokens_fle"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "limits:\n  max_event_size: 1 MB\n", "limits.max_event_size"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "limits:\n  max_event_size: 0\n", "limits.max_event_size"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "limits:\n  max_batch_events: 0\n", "limits.max_batch_events"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "limits:\n  max_event_size: 2MiB\n  max_request_body: 1MiB\n", "limits.max_request_body"),
        ("server:\n  max_connections: 0\n  tls:\n" + ConfigurationTests.tlsKeys, "server.max_connections"),
        ("server:\n  handshake_timeout: 10 seconds\n  tls:\n" + ConfigurationTests.tlsKeys, "server.handshake_timeout"),
        ("server:\n  request_head_timeout: 50ms\n  tls:\n" + ConfigurationTests.tlsKeys, "server.request_head_timeout"),
        ("server:\n  idle_timeout: 2h\n  tls:\n" + ConfigurationTests.tlsKeys, "server.idle_timeout"),
        ("server:\n  console_form_timeout: 50ms\n  tls:\n" + ConfigurationTests.tlsKeys, "server.console_form_timeout"),
        ("server:\n  console_form_timeout: 2h\n  tls:\n" + ConfigurationTests.tlsKeys, "server.console_form_timeout"),
        ("server:\n  websocket_ping_interval: 500ms\n  tls:\n" + ConfigurationTests.tlsKeys, "server.websocket_ping_interval"),
        // Numbers whose product with the unit would overflow are refused, not trapped on.
        ("server:\n  idle_timeout: 9223372036854775807h\n  tls:\n" + ConfigurationTests.tlsKeys, "server.idle_timeout"),
        ("server:\n  idle_timeout: 9223372036854775807\n  tls:\n" + ConfigurationTests.tlsKeys, "server.idle_timeout"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "limits:\n  max_event_size: 9223372036854775807GiB\n", "limits.max_event_size"),
        ("serve:\n  port: 1\nserver:\n  tls:\n" + ConfigurationTests.tlsKeys, "serve"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "log:\n  level: loud\n", "log.level"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "log:\n  format: xml\n", "log.format"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "store:\n  initial_map_size: 2GiB\n  max_map_size: 1GiB\n", "store.max_map_size"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "store:\n  index_merge_threshold: 0\n", "store.index_merge_threshold"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "store:\n  bookkeeping_linger: 1s\n", "store.bookkeeping_linger"),
        ("server:\n  metrics_access: everyone\n  tls:\n" + ConfigurationTests.tlsKeys, "server.metrics_access"),
        ("server:\n  tls:\n" + ConfigurationTests.tlsKeys + "delivery:\n  max_subscriptions_per_department: 0\n", "delivery.max_subscriptions_per_department"),
    ])
    func preciseErrors(yaml: String, key: String) throws {
        let found = try #require(error(yaml))
        #expect(found.key == key, "\(found)")
        #expect(found.file == "/etc/exchange/exchange.yaml")
        #expect(found.description.hasPrefix("/etc/exchange/exchange.yaml: \(key): "))
    }

    @Test func eachErrorCaseIsValidWithoutItsFault() throws {
        // The fixture the error cases build on is itself accepted.
        let valid = try ExchangeConfiguration.parse(yaml: "server:\n  tls:\n" + Self.tlsKeys, path: "/etc/exchange/exchange.yaml")
        #expect(valid.server.privateKeyPath == "/etc/exchange/a.key")
    }

    @Test func missingAndInvalidFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: ConfigKeyError(file: directory.file("none.yaml"), key: "(file)", message: "")) {
            do {
                _ = try ExchangeConfiguration.load(path: directory.file("none.yaml"))
            } catch let error as ConfigKeyError {
                throw ConfigKeyError(file: error.file, key: error.key, message: "")
            }
        }
        let broken = try directory.write("broken.yaml", "server: [unclosed\n")
        #expect(throws: ConfigKeyError.self) { try ExchangeConfiguration.load(path: broken) }
        let list = try directory.write("list.yaml", "- a\n- b\n")
        #expect(throws: ConfigKeyError(file: list, key: "(file)", message: "must be a mapping of sections")) {
            try ExchangeConfiguration.load(path: list)
        }
    }

    @Test(arguments: ["? ?\n", "? [a, b]\n: c\n", "server:\n  ? {tls: x}\n  : y\n"])
    func mappingKeysThatAreNotTextAreRefused(yaml: String) throws {
        let found = try #require(error(yaml))
        #expect(found.key == "(file)")
        #expect(found.message.hasPrefix("has a mapping key that is not text"))
    }

    /// YAML 1.1's base-60 whole numbers are refused with the file's error, never constructed:
    /// Yams' conversion of one traps on overflow (found by fuzzing `exchange-config`).
    @Test(arguments: [
        "-1111111111111111111:3:10\n", "server:\n  max_connections: -1111111111111111111:3:10\n",
        "server:\n  port: 1:1:1:1:1:1:1:1:1:1:1:1:1\n", "server:\n  port: !!int 1:30\n", "[1, 2:30]\n", "? 1:30\n: x\n",
    ])
    func baseSixtyNumbersAreRefused(yaml: String) throws {
        let found = try #require(error(yaml))
        #expect(found.key == "(file)")
        #expect(found.message.hasPrefix("holds a base-60 number"), "\(found)")
    }

    @Test func exampleConfigurationIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/exchange.yaml").standardized.path
        let configuration = try ExchangeConfiguration.load(path: path)
        #expect(configuration.server.port == 8443)
        #expect(configuration.server.tokensPath?.hasSuffix("Config/tokens.json") == true)
        #expect(configuration.server.limits == .default)
        #expect(configuration.server.connections == .default)
    }

    @Test func departmentList() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let nested = try directory.write("a.yaml", "departments:\n  - id: tax-bureau\n    name: Tax\n  - id: health\n")
        #expect(try DepartmentList.load(path: nested).map(\.rawValue) == ["tax-bureau", "health"])
        let flat = try directory.write("b.yaml", "- id: market-regulation\n")
        #expect(try DepartmentList.load(path: flat).map(\.rawValue) == ["market-regulation"])
        let bad = try directory.write("c.yaml", "- id: tax-bureau\n- name: no id\n")
        #expect(throws: ConfigKeyError(file: bad, key: "[1].id", message: "is required")) { try DepartmentList.load(path: bad) }
        let invalid = try directory.write("d.yaml", "departments:\n  - id: \"tax bureau\"\n")
        #expect(throws: ConfigKeyError.self) { try DepartmentList.load(path: invalid) }
    }
}
