#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif
import Foundation

/// The user and group a file belongs to, named as `USER[:GROUP]` on the command line
/// (`exchangectl pki init --owner exchange`, `token create --owner exchange:exchange`).
///
/// The daemon runs as a user of its own, while its keys and tokens are usually written by root
/// at install time; giving the files to that user (mode 0600) is what lets the daemon read them
/// and nobody else. Changing a file's owner needs root (`CAP_CHOWN`).
public struct FileOwner: Sendable, Equatable, CustomStringConvertible {
    /// The numeric user id.
    public var user: uid_t
    /// The numeric group id.
    public var group: gid_t

    /// An owner by numeric ids.
    public init(user: uid_t, group: gid_t) {
        self.user = user
        self.group = group
    }

    /// Parses `USER[:GROUP]`: names or numeric ids; without a group, the user's primary group.
    /// - Throws: ``FileOwnerError`` naming the unknown user or group.
    public init(parsing text: String) throws(FileOwnerError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let userText = parts.first, !userText.isEmpty, userText.utf8.count <= 256 else {
            throw FileOwnerError("\"\(text)\" is not USER[:GROUP]")
        }
        let entry = Self.user(named: userText)
        guard let (user, primaryGroup) = entry else {
            throw FileOwnerError("no user \"\(userText)\" (create it first, e.g. useradd --system \(userText))")
        }
        var group = primaryGroup
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.count <= 256, let named = Self.group(named: parts[1]) else {
                throw FileOwnerError("no group \"\(parts[1])\"")
            }
            group = named
        }
        self.init(user: user, group: group)
    }

    /// The owner of the file at `path`, or `nil` when it cannot be read (e.g. no such file).
    public static func of(path: String) -> FileOwner? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let user = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value,
            let group = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value
        else { return nil }
        return FileOwner(user: user, group: group)
    }

    /// Gives the file (not following a symbolic link) to this owner.
    /// - Throws: ``FileOwnerError`` with the system's reason (not root: "Operation not permitted").
    public func apply(to path: String) throws(FileOwnerError) {
        guard lchown(path, user, group) == 0 else {
            let reason = String(cString: strerror(errno))
            throw FileOwnerError("cannot give \(path) to \(self): \(reason)")
        }
    }

    /// Gives the open file to this owner.
    /// - Throws: ``FileOwnerError`` with the system's reason.
    public func apply(toDescriptor descriptor: Int32, path: String) throws(FileOwnerError) {
        guard fchown(descriptor, user, group) == 0 else {
            let reason = String(cString: strerror(errno))
            throw FileOwnerError("cannot give \(path) to \(self): \(reason)")
        }
    }

    /// `uid:gid`.
    public var description: String { "\(user):\(group)" }

    private static func user(named name: String) -> (uid_t, gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        if getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return (entry.pw_uid, entry.pw_gid)
        }
        if let id = UInt32(name), getpwuid_r(id, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return (entry.pw_uid, entry.pw_gid)
        }
        return nil
    }

    private static func group(named name: String) -> gid_t? {
        var entry = GroupEntry()
        var result: UnsafeMutablePointer<GroupEntry>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        if getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return entry.gr_gid
        }
        if let id = UInt32(name), getgrgid_r(id, &entry, &buffer, buffer.count, &result) == 0, result != nil {
            return entry.gr_gid
        }
        return nil
    }
}

/// The C `struct group`, named apart from ``FileOwner/group``.
private typealias GroupEntry = group

/// Why an owner could not be parsed or applied: one sentence.
public struct FileOwnerError: Error, Sendable, CustomStringConvertible {
    /// The sentence.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
