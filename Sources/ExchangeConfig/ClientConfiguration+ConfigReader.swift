import Foundation

extension ClientConfiguration {
    /// The keys of a client configuration file.
    static let keys: Set<String> = ["url", "department", "pki", "ca", "cert", "key", "token_file"]

    /// Reads a client configuration file:
    /// - `url`: the exchange's base URL, e.g. `https://127.0.0.1:8443`;
    /// - `department`: present `PKI/clients/DEPARTMENT.crt` and `.key`;
    /// - `pki`: the PKI directory (default `Config/pki`);
    /// - `ca`: the CA certificate verifying the server (default `PKI/ca.crt` when it exists);
    /// - `cert`, `key`: a client certificate and its key, instead of `department`;
    /// - `token_file`: a file whose first line is a bearer token secret (portal, auditor, admin).
    ///
    /// Unknown keys are refused, so that a typo is not silently ignored.
    /// - Parameter path: the file.
    /// - Throws: ``ConfigKeyError`` naming the file and key.
    public static func load(path: String) throws -> ClientConfiguration {
        let reader = try ConfigReader.open(path: path)
        try reader.rejectUnknownKeys(keys)
        return ClientConfiguration(
            url: try reader.string("url"), department: try reader.string("department"), pki: try reader.path("pki"),
            ca: try reader.path("ca"), cert: try reader.path("cert"), key: try reader.path("key"), tokenFile: try reader.path("token_file"))
    }

    /// The URL a client on this host reaches the daemon at, from the daemon's configuration
    /// file: `https://HOST:PORT` from `server.host` (a wildcard address becomes 127.0.0.1) and
    /// `server.port`; `nil` when the file cannot be read or names no fixed port.
    /// - Parameter path: the daemon's configuration, e.g. `Config/exchange.yaml`.
    public static func daemonURL(configuration path: String) -> String? {
        guard let reader = try? ConfigReader.open(path: path), let port = reader.value("server.port") as? Int, (1...65_535).contains(port)
        else { return nil }
        var host = (reader.value("server.host") as? String) ?? "127.0.0.1"
        if host == "0.0.0.0" || host == "::" || host.isEmpty { host = "127.0.0.1" }
        if host.contains(":") { host = "[\(host)]" }
        return "https://\(host):\(port)"
    }
}
