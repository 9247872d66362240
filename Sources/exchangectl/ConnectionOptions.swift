import ArgumentParser
import ExchangeConfig
import Foundation

/// Where the exchange is and who the caller is: the options every client command shares.
///
/// Each setting is taken from, in order: its option; its environment variable
/// (`EXCHANGE_URL`, `EXCHANGE_DEPARTMENT`, `EXCHANGE_PKI`, `EXCHANGE_CA`, `EXCHANGE_CERT`,
/// `EXCHANGE_KEY`, `EXCHANGE_TOKEN`); the client configuration file (`--client-config`,
/// `$EXCHANGE_CLIENT_CONFIG`, or `$XDG_CONFIG_HOME/exchange/client.yaml`, by default
/// `~/.config/exchange/client.yaml`, when it exists); for the URL, the port of
/// `Config/exchange.yaml` in the working directory; the built-in default.
///
/// A department authenticates with a client certificate: `--department D` takes
/// `PKI/clients/D.crt` and `PKI/clients/D.key` (as `exchangectl pki init` writes them), or
/// `--cert` and `--key` name the files. The portal, auditors and admins use a token. The server
/// is verified against the CA, by default `PKI/ca.crt` when it exists, else the system's trust
/// roots.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The exchange's base URL ($EXCHANGE_URL; default: the port of Config/exchange.yaml, else https://127.0.0.1:8443).")
    var url: String?

    @Option(help: "Authenticate as this department with PKI/clients/DEPARTMENT.crt and .key ($EXCHANGE_DEPARTMENT).")
    var department: String?

    @Option(help: "The PKI directory, as exchangectl pki init writes it ($EXCHANGE_PKI; default: Config/pki).")
    var pki: String?

    @Option(help: "The CA certificate (PEM) that verifies the server ($EXCHANGE_CA; default: PKI/ca.crt when it exists).")
    var ca: String?

    @Option(help: "The client certificate (PEM) for mutual TLS ($EXCHANGE_CERT).")
    var cert: String?

    @Option(help: "The client certificate's private key (PEM) ($EXCHANGE_KEY).")
    var key: String?

    @Option(help: "A bearer token secret for the portal, auditors and admins ($EXCHANGE_TOKEN).")
    var token: String?

    @Option(
        name: .customLong("client-config"),
        help: "A client configuration file: url, department, pki, ca, cert, key, token_file ($EXCHANGE_CLIENT_CONFIG; default: ~/.config/exchange/client.yaml when it exists).")
    var clientConfig: String?

    /// The built-in default URL.
    static let defaultURL = "https://127.0.0.1:8443"

    /// The client configuration file to read, if any: `--client-config`, `$EXCHANGE_CLIENT_CONFIG`
    /// (both must exist), or the default path when it exists.
    func clientConfigurationPath(environment: [String: String], fileExists: (String) -> Bool) throws -> String? {
        if let explicit = clientConfig ?? environment["EXCHANGE_CLIENT_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard fileExists(explicit) else {
                throw ClientFailure(code: "config.missing_file", detail: "\(explicit): no such client configuration file", exitCode: 64)
            }
            return explicit
        }
        let home = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["HOME"].map { $0 + "/.config" }
        guard let home else { return nil }
        let candidate = home + "/exchange/client.yaml"
        return fileExists(candidate) ? candidate : nil
    }

    /// The options resolved to files and credentials.
    /// - Parameters:
    ///   - environment: the process environment.
    ///   - fileExists: whether a file exists.
    ///   - loadConfiguration: reads a client configuration file.
    ///   - readFile: reads a token file.
    func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) },
        loadConfiguration: (String) throws -> ClientConfiguration = { try ClientConfiguration.load(path: $0) },
        readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) throws -> Connection {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var file = ClientConfiguration()
        var fileNote = ""
        if let path = try clientConfigurationPath(environment: environment, fileExists: fileExists) {
            do {
                file = try loadConfiguration(path)
            } catch {
                throw ClientFailure(code: "config.invalid", detail: "\(error)", exitCode: 64)
            }
            fileNote = " (from \(path))"
        }
        let url = self.url ?? variable("EXCHANGE_URL") ?? file.url ?? ClientConfiguration.daemonURL(configuration: "Config/exchange.yaml")
            ?? Self.defaultURL
        let department = self.department ?? variable("EXCHANGE_DEPARTMENT") ?? file.department
        let pki = self.pki ?? variable("EXCHANGE_PKI") ?? file.pki ?? "Config/pki"
        guard let base = URL(string: url), let scheme = base.scheme?.lowercased(), scheme == "https" || scheme == "http", base.host != nil else {
            throw ClientFailure(code: "usage.invalid_url", detail: "\(url): expected https://HOST[:PORT]", exitCode: 64)
        }
        var certificate = cert ?? variable("EXCHANGE_CERT")
        var privateKey = key ?? variable("EXCHANGE_KEY")
        let explicitToken = token ?? variable("EXCHANGE_TOKEN")
        if certificate == nil && privateKey == nil && department == nil && explicitToken == nil {
            certificate = file.cert
            privateKey = file.key
        }
        if let department {
            let stem = (pki as NSString).appendingPathComponent("clients/\(department)")
            certificate = certificate ?? stem + ".crt"
            privateKey = privateKey ?? stem + ".key"
        }
        if (certificate == nil) != (privateKey == nil) {
            throw ClientFailure(code: "usage.conflict", detail: "--cert and --key go together", exitCode: 64)
        }
        if token != nil && certificate != nil {
            throw ClientFailure(code: "usage.conflict", detail: "use a client certificate (--department, --cert) or --token, not both", exitCode: 64)
        }
        var bearer = explicitToken
        if bearer == nil, certificate == nil, let tokenFile = file.tokenFile {
            guard let text = readFile(tokenFile), let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty else {
                throw ClientFailure(code: "config.missing_file", detail: "\(tokenFile): cannot read a token from it\(fileNote)", exitCode: 64)
            }
            bearer = String(line).trimmingCharacters(in: .whitespaces)
        }
        var authority = ca ?? variable("EXCHANGE_CA") ?? file.ca
        if authority == nil {
            let candidate = (pki as NSString).appendingPathComponent("ca.crt")
            if fileExists(candidate) { authority = candidate }
        }
        if scheme == "http" && (certificate != nil || ca != nil) {
            throw ClientFailure(code: "usage.conflict", detail: "\(url) is not https; certificates need https", exitCode: 64)
        }
        for path in [authority, certificate, privateKey].compactMap({ $0 }) where !fileExists(path) {
            let hint = department != nil ? "; run `make run` or `exchangectl pki init` first, or give --pki" : ""
            throw ClientFailure(code: "config.missing_file", detail: "\(path): no such file\(hint)\(fileNote)", exitCode: 64)
        }
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        return Connection(
            baseURL: text, caPath: scheme == "https" ? authority : nil, certificatePath: certificate, privateKeyPath: privateKey,
            token: certificate == nil ? bearer : nil)
    }
}

/// Resolved connection settings.
struct Connection: Equatable {
    /// The base URL without a trailing slash.
    var baseURL: String
    /// The CA certificate verifying the server; `nil` for the system trust roots.
    var caPath: String?
    /// The client certificate for mutual TLS.
    var certificatePath: String?
    /// Its private key.
    var privateKeyPath: String?
    /// The bearer token, when no client certificate is used.
    var token: String?
}
