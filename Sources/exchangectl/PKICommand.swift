import ArgumentParser
import ExchangeAudit
import ExchangeConfig
import ExchangeIdentity
import ExchangeModel
import ExchangeRouting
import Foundation

/// `exchangectl pki init`: a development CA, a server certificate and department client certificates.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Development certificates.",
        subcommands: [Initialize.self])

    struct Initialize: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a development CA, a server certificate (localhost, 127.0.0.1) and one client certificate per department.",
            discussion: """
                Departments are read from CONFIG-DIR/departments.yaml (a list of entries with an `id`) when it \
                exists, plus any --department options. Keys are P-256, written with mode 0600. Files: ca.crt, \
                ca.key, server.crt, server.key, clients/ID.crt, clients/ID.key, and the audit checkpoint signing \
                key audit.key (Ed25519, mode 0600) with its public key audit.pub. Existing files are not \
                overwritten unless --force is given.

                With --owner USER[:GROUP] (the daemon's user; needs root) the daemon can read what it needs and \
                no more: the directory becomes GROUP's (mode 0750), server.key and audit.key (new or kept) USER's \
                (0600); ca.key and clients/ stay the invoking user's.

                Example, at install time:
                  exchangectl pki init --config-dir /etc/exchange --owner exchange
                """)

        @Option(help: "The configuration directory holding departments.yaml.")
        var configDir = "Config"

        @Option(help: "Where to write the files (default: CONFIG-DIR/pki).")
        var out: String?

        @Option(name: .customLong("department"), help: "A department id to issue a client certificate for (repeatable).")
        var departments: [String] = []

        @Flag(help: "Overwrite existing files.")
        var force = false

        @OptionGroup var owner: OwnerOption

        func run() throws {
            let owner = try owner.resolve()
            let directory = out ?? (configDir as NSString).appendingPathComponent("pki")
            var ids: [DepartmentID] = []
            // Certificates carry what departments.yaml recognises: its subject_cn and SANs.
            var identities: [DepartmentID: ExchangeRouting.CertificateIdentity] = [:]
            let departmentsFile = (configDir as NSString).appendingPathComponent("departments.yaml")
            if FileManager.default.fileExists(atPath: departmentsFile) {
                if let set = ConfigurationLoader(directory: configDir).load().set {
                    for department in set.departments {
                        ids.append(department.id)
                        identities[department.id] = department.certificate
                    }
                } else {
                    do {
                        ids = try DepartmentList.load(path: departmentsFile)
                    } catch {
                        throw ValidationError("\(error)")
                    }
                }
            }
            for text in departments {
                guard let id = DepartmentID(text) else {
                    throw ValidationError("--department \(text): not a department id (letters, digits, -, _, ., at most 64)")
                }
                if !ids.contains(id) { ids.append(id) }
            }
            guard !ids.isEmpty else {
                throw ValidationError("no departments: \(departmentsFile) does not exist and no --department was given")
            }

            var files: [(path: String, contents: String, secret: Bool)] = []
            let ca = try DevelopmentPKI()
            files.append(("ca.crt", try ca.authority.certificatePEM(), false))
            files.append(("ca.key", ca.authority.privateKeyPEM, true))
            let server = try ca.issueServerCertificate()
            files.append(("server.crt", try server.certificatePEM() + (try ca.authority.certificatePEM()), false))
            files.append(("server.key", server.privateKeyPEM, true))
            for id in ids {
                let identity = identities[id]
                let names = identity?.subjectAlternativeNames ?? []
                let client = try ca.issueClientCertificate(
                    commonName: identity?.subjectCommonName ?? id.rawValue, uris: names.filter { $0.contains("://") },
                    dnsNames: names.filter { !$0.contains("://") })
                files.append(("clients/\(id.rawValue).crt", try client.certificatePEM(), false))
                files.append(("clients/\(id.rawValue).key", client.privateKeyPEM, true))
            }

            // An existing audit signing key is kept, even with --force: auditors have pinned its
            // verifier key, and a new key would make every earlier checkpoint unverifiable
            // against what they pinned. `exchangectl audit keygen` replaces it deliberately.
            let auditKeyPath = (directory as NSString).appendingPathComponent("audit.key")
            let auditKey: SigningKey
            if FileManager.default.fileExists(atPath: auditKeyPath) {
                auditKey = try SigningKey(pemFile: auditKeyPath)
                print("kept the existing audit signing key \(auditKeyPath)")
            } else {
                auditKey = try SigningKey.generate(.ed25519)
                files.append(("audit.key", try auditKey.pemRepresentation(), true))
                files.append(("audit.pub", try auditKey.publicKey.pemRepresentation(), false))
            }

            let existing = files.map { (directory as NSString).appendingPathComponent($0.path) }
                .filter { FileManager.default.fileExists(atPath: $0) }
            if !existing.isEmpty && !force {
                throw ValidationError("refusing to overwrite \(existing.joined(separator: ", ")); use --force")
            }
            try FileManager.default.createDirectory(
                atPath: (directory as NSString).appendingPathComponent("clients"), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            for file in files {
                let path = (directory as NSString).appendingPathComponent(file.path)
                try? FileManager.default.removeItem(atPath: path)
                let mode = file.secret ? 0o600 : 0o644
                guard FileManager.default.createFile(atPath: path, contents: Data(file.contents.utf8), attributes: [.posixPermissions: mode]) else {
                    throw ValidationError("cannot write \(path)")
                }
                print("wrote \(path)\(file.secret ? " (private key, 0600)" : "")")
            }
            if let owner {
                try give(directory: directory, to: owner)
            }
            print("client certificates for: \(ids.map(\.rawValue).joined(separator: ", "))")
            let verifierKey = try NoteVerifier(name: AuditKeygenCommand.defaultOrigin, publicKey: auditKey.publicKey).verifierKey
            print("audit verifier key (origin \(AuditKeygenCommand.defaultOrigin)): \(verifierKey)")
        }

        /// The files the daemon reads become `owner`'s: the directory its group's (0750, so the
        /// daemon can enter it but not the root-only clients/ below), the server and audit keys
        /// its own (0600).
        private func give(directory: String, to owner: FileOwner) throws {
            do {
                try FileOwner(user: getuid(), group: owner.group).apply(to: directory)
                guard chmod(directory, 0o750) == 0 else { throw ValidationError("cannot set the mode of \(directory)") }
                for name in ["server.key", "audit.key"] {
                    let path = (directory as NSString).appendingPathComponent(name)
                    guard FileManager.default.fileExists(atPath: path) else { continue }
                    try owner.apply(to: path)
                    guard chmod(path, 0o600) == 0 else { throw ValidationError("cannot set the mode of \(path)") }
                    print("gave \(path) to \(owner) (0600)")
                }
            } catch let error as FileOwnerError {
                throw ValidationError("\(error)")
            }
        }
    }
}
