import ArgumentParser
import ExchangeAudit
import ExchangeIdentity
import Foundation

/// `exchangectl audit keygen`: a checkpoint signing key and its public halves.
struct AuditKeygenCommand: ParsableCommand {
    /// The origin of the shipped configuration (`audit.origin`'s default).
    static let defaultOrigin = "data-exchange/audit"

    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an audit checkpoint signing key.",
        discussion: """
            Writes the private key as PKCS#8 PEM to OUT with mode 0600 (never overwriting a file) and the \
            public key as PEM to OUT.pub, then prints the C2SP verifier key for --origin, which auditors pin \
            (`exchangectl audit verify --verifier-key`). Point audit.signing_key in exchange.yaml at OUT.

            Example:
              exchangectl audit keygen --out Config/pki/audit.key
              exchangectl audit keygen --out /etc/exchange/pki/audit.key --owner exchange
            """)

    @Option(help: "The private key file to create.")
    var out: String

    @Option(help: "ed25519 (default) or sm2 (SM2 signatures with SM3).")
    var algorithm = "ed25519"

    @Option(help: "The log's origin (audit.origin), which names the verifier key.")
    var origin = AuditKeygenCommand.defaultOrigin

    @OptionGroup var owner: OwnerOption

    func run() throws {
        let owner = try owner.resolve()
        guard let algorithm = SignatureAlgorithm(rawValue: algorithm) else {
            throw ValidationError("--algorithm \(algorithm): expected one of \(SignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let publicPath = out + ".pub"
        for path in [out, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; refusing to overwrite it")
        }
        do {
            let key = try SigningKey.generate(algorithm)
            let verifier = try NoteVerifier(name: origin, publicKey: key.publicKey)
            try key.writePEM(toFile: out)
            try owner?.apply(to: out)
            try key.publicKey.writePEM(toFile: publicPath)
            print("wrote \(out) (private key, 0600\(owner.map { ", given to \($0)" } ?? ""))")
            print("wrote \(publicPath)")
            print(try verifier.verifierKey)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
