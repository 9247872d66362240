import ExchangeAudit
import LMDB

/// The named databases of the store and the format version they follow.
///
/// | database | key -> value |
/// | --- | --- |
/// | `meta` | format version, interned names, counters, the indexes' mark, an unfinished registry rewrite's marker, the restore marker, the epoch and its sequence floor |
/// | `log` | sequence -> event record (with its routes and `published` audit entry) |
/// | `topic_index` | topic id, sequence -> (empty) |
/// | `time_index` | receive time, first sequence of a commit -> (empty); at most one entry per `timeIndexInterval` |
/// | `inbox` | consumer id, sequence -> agreement id, agreement version |
/// | `dedup` | publisher id, message id -> sequence, route count: the index of a store written before format 5; read, never written |
/// | `dedup_runs` | run id, publisher id, message id -> sequence, route count: sorted runs written from memory |
/// | `dedup_merged` | run id, publisher id, message id -> sequence, route count: sorted runs written by merging runs |
/// | `subscriptions` | subscription id -> subscription record |
/// | `positions` | subscription id -> next sequence to consider |
/// | `pending` | subscription id, sequence -> delivery count, deadline |
/// | `dead_letters` | subscription id, sequence -> delivery count, time |
/// | `audit` | audit index -> canonical audit entry, or 0x00 and the sequence of the event record holding it |
/// | `audit_tree` | Merkle node (last leaf, level) -> hash of that complete subtree |
/// | `audit_nodes` | Merkle node (level, index) -> hash: the nodes a store written before format 4 holds; never written |
/// | `registry` | collection id, entry key -> registry entry (state, distinct flags, history count) |
/// | `registry_index` | collection id, index, value, 0x00, entry key -> (empty) |
/// | `checkpoints` | tree size -> signed checkpoint note (C2SP signed-note text) |
/// | `expired` | topic id, last sequence -> first sequence, count, first and last removal time: what retention removed |
/// | `registry_data` | sequence -> event record: a removed event that was a registry entry's current data, while it is |
/// | `audit_filters` | tag, value, audit index -> (empty): the audit entries naming a subject, department, agreement, kind, event or endpoint (``AuditFilterKey``) |
/// | `registry_history` | collection id, entry key (length-prefixed, or hashed when long), sequence -> action, flag: each entry's history, one key per event (``RegistryKeys``) |
///
/// Integers in keys are big-endian so that byte order is numeric order.
struct StoreSchema {
    /// The format this build writes and reads. A store of another version is refused.
    /// Version 2 added the audit Merkle tree (`audit_nodes`, `audit_hash`); version 3 the
    /// registry (`registry`, `registry_index`) and the signed audit checkpoints (`checkpoints`);
    /// version 4 writes new Merkle nodes into `audit_tree`, keyed in the order appends complete
    /// them, and keeps `audit_nodes` for the nodes written before; version 5 writes event
    /// records that hold their routes and `published` audit entry (``EventRecord`` version 2),
    /// merges the topic and inbox entries, the references to those audit entries and the
    /// Merkle nodes into their databases in bulk (``IndexTail``), up to the mark kept in `meta`,
    /// and keeps the deduplication index as sorted runs (`dedup_runs`, `dedup_merged`,
    /// catalogued in `meta/dedup_runs`), with the older `dedup` B-tree as the oldest run.
    ///
    /// Versions 2, 3 and 4 are upgraded in place when opened: the new databases are created empty
    /// (`exchangectl registry rebuild --write` fills a version 2 store's registry from the log;
    /// checkpoints are issued from then on; nodes already in `audit_nodes` stay there and are
    /// read from there; the `dedup` tree is adopted as the oldest run by
    /// `DedupRuns.upgradeFormat4Index`), and the indexes' mark is set to the end of the log and
    /// the audit log, which older versions indexed entry by entry; their records stay as written
    /// and are read as they are. A build of an older version refuses an upgraded store.
    ///
    /// Version 6 indexes the audit log for filtered reads (`audit_filters`, written with each
    /// entry). A store of an older version is upgraded in place: the index is filled from the
    /// existing entries when the store is opened (``ExchangeStore/backfillAuditFilters()``),
    /// in chunks, resumed after a crash from `meta/audit_filters_backfill`. One way: a version 5
    /// build would write entries without index keys, so it refuses the upgraded store.
    ///
    /// Version 7 keeps each registry entry's history under keys of its own (`registry_history`,
    /// one key per event), the entry holding only its state, distinct flags and history count
    /// (``RegistryEntry`` encoding version 2), so that recording an event costs the same
    /// whatever the length of the key's history. A store of an older version is upgraded in
    /// place: the histories its entries hold inline are moved out when the store is opened
    /// (``ExchangeStore/moveRegistryHistories()``), in chunks, resumed after a crash from
    /// `meta/registry_history_upgrade`. One way: a version 6 build cannot decode the entries.
    ///
    /// Version 8 records each deduplication run's time bounds in the runs' catalogue
    /// (``DedupRunCatalog`` encoding version 2), for the deduplication horizon. A version 7
    /// store needs nothing else: its catalogue is read without times and written again with
    /// them when the store opens (``DedupRuns/load(_:schema:now:)``). One way: a version 7
    /// build cannot decode the new catalogue.
    static let formatVersion: UInt32 = 8
    /// The older versions this build upgrades in place.
    static let upgradableVersions: Set<UInt32> = [2, 3, 4, 5, 6, 7]
    /// The version before deduplication runs had times, the last whose upgrade needs nothing
    /// but the catalogue's.
    static let versionBeforeDedupTimes: UInt32 = 7
    /// The version before registry histories had keys of their own, the last whose upgrade
    /// needs nothing else.
    static let versionBeforeRegistryHistory: UInt32 = 6
    /// Present while the histories of an upgraded store's registry entries are being moved to
    /// `registry_history`: the `registry` key of the last entry moved (empty before the first).
    static let registryHistoryUpgradeKey = Array("registry_history_upgrade".utf8)
    /// The version before the audit filter index, the last whose upgrade needs nothing more than
    /// that index and the registry histories moved.
    static let versionBeforeAuditFilters: UInt32 = 5
    /// Present while the audit filter index is being filled from the entries of an upgraded
    /// store: the next audit index to fill (8 bytes, big-endian).
    static let auditFilterBackfillKey = Array("audit_filters_backfill".utf8)
    /// The version whose upgrade leaves the registry to be rebuilt (it had none).
    static let versionWithoutRegistry: UInt32 = 2
    /// The least time between two `time_index` entries, in nanoseconds (100 ms): a commit that
    /// appends events writes one only when this much passed since the last, so a commit under
    /// light load writes one B-tree fewer. A look-up by time searches the log between two
    /// entries by halving (events' receive times never decrease with their sequence).
    static let timeIndexInterval: UInt64 = 100_000_000
    static let formatKey = Array("format_version".utf8)
    static let auditHashKey = Array("audit_hash".utf8)
    /// Present from the transaction that clears the registry for a rewrite (or upgrades a format
    /// 2 store) until the one after the rewrite's last chunk: while it is, the registry is
    /// incomplete.
    static let registryRebuildKey = Array("registry_rebuild_pending".utf8)
    /// Present in a store `exchangectl restore` put in place until a new epoch is opened: what
    /// it was restored from (text).
    static let restoredKey = Array("restored_from".utf8)
    /// The epoch of the log (big-endian UInt32); absent: epoch 1.
    static let epochKey = Array("epoch".utf8)
    /// The least next sequence (big-endian UInt64) a new epoch set, above what a lost log may
    /// have handed out; absent: none.
    static let sequenceFloorKey = Array("sequence_floor".utf8)

    let meta: Database
    let log: Database
    let topicIndex: Database
    let timeIndex: Database
    let inbox: Database
    /// The deduplication index of a store written before format 5: read only.
    let dedup: Database
    /// Deduplication runs written from memory (see `DedupRunCatalog`).
    let dedupRuns: Database
    /// Deduplication runs written by merging runs.
    let dedupMerged: Database
    let subscriptions: Database
    let positions: Database
    let pending: Database
    let deadLetters: Database
    let audit: Database
    /// Merkle nodes keyed by ``MerkleNodeID/appendOrderKey``: every node of a format 4 store,
    /// and those an upgraded store wrote since its upgrade.
    let auditTree: Database
    /// Merkle nodes keyed by ``MerkleNodeID/storageKey``, written before format 4; read only.
    let auditNodes: Database
    let registry: Database
    let registryIndex: Database
    let checkpoints: Database
    /// Ranges of a topic's events that retention removed (``ExpiredRange``).
    let expired: Database
    /// Records of removed events that registry entries still show as their current data.
    let registryData: Database
    /// The audit log's filter index (``AuditFilterKey``).
    let auditFilters: Database
    /// The registry entries' histories, one key per event (``RegistryKeys``).
    let registryHistory: Database

    init(opening txn: inout WriteTransaction) throws {
        meta = try txn.openDatabase("meta", flags: .create)
        log = try txn.openDatabase("log", flags: .create)
        topicIndex = try txn.openDatabase("topic_index", flags: .create)
        timeIndex = try txn.openDatabase("time_index", flags: .create)
        inbox = try txn.openDatabase("inbox", flags: .create)
        dedup = try txn.openDatabase("dedup", flags: .create)
        dedupRuns = try txn.openDatabase("dedup_runs", flags: .create)
        dedupMerged = try txn.openDatabase("dedup_merged", flags: .create)
        subscriptions = try txn.openDatabase("subscriptions", flags: .create)
        positions = try txn.openDatabase("positions", flags: .create)
        pending = try txn.openDatabase("pending", flags: .create)
        deadLetters = try txn.openDatabase("dead_letters", flags: .create)
        audit = try txn.openDatabase("audit", flags: .create)
        auditTree = try txn.openDatabase("audit_tree", flags: .create)
        auditNodes = try txn.openDatabase("audit_nodes", flags: .create)
        registry = try txn.openDatabase("registry", flags: .create)
        registryIndex = try txn.openDatabase("registry_index", flags: .create)
        checkpoints = try txn.openDatabase("checkpoints", flags: .create)
        expired = try txn.openDatabase("expired", flags: .create)
        registryData = try txn.openDatabase("registry_data", flags: .create)
        auditFilters = try txn.openDatabase("audit_filters", flags: .create)
        registryHistory = try txn.openDatabase("registry_history", flags: .create)
    }

    /// Checks the stored format version, writing it into a new store and upgrading a version 2,
    /// 3, 4, 5 or 6 store (whose newer databases were just created empty).
    /// - Returns: the version the store had when opened (0 for a new store).
    /// - Throws: `StoreError.unsupportedFormat` for a store of another version, or for one with
    ///   data but no version.
    @discardableResult
    func checkFormat(_ txn: inout WriteTransaction, directory: String) throws -> UInt32 {
        var version = BigEndianKey(capacity: 4)
        version.append(Self.formatVersion)
        if let stored = try txn.get(meta, key: Self.formatKey) {
            let storedVersion = stored.withUnsafeBytes { $0.count == 4 ? $0.bigEndianUInt32(at: 0) : 0 }
            if Self.upgradableVersions.contains(storedVersion) {
                try txn.put(meta, key: Self.formatKey, value: version.bytes)
                guard storedVersion < Self.versionBeforeDedupTimes else { return storedVersion }
                // The entries' inline histories are moved out once the store is open.
                try txn.put(meta, key: Self.registryHistoryUpgradeKey, value: [])
                guard storedVersion < Self.versionBeforeRegistryHistory else { return storedVersion }
                // The filter index is filled from the entries already written once the store is open.
                try txn.put(meta, key: Self.auditFilterBackfillKey, value: BigEndianKey.u64(0))
                guard storedVersion < Self.versionBeforeAuditFilters else { return storedVersion }
                // Everything an older version wrote is indexed entry by entry.
                let lastSequence = try txn.withCursor(log) { try $0.last().map { $0.key.bigEndianUInt64(at: 0) } ?? 0 }
                let auditCount = try txn.withCursor(audit) { try $0.last().map { $0.key.bigEndianUInt64(at: 0) + 1 } ?? 0 }
                try txn.put(meta, key: IndexMark.key, value: IndexMark(sequence: lastSequence, auditCount: auditCount).bytes)
                if storedVersion == Self.versionWithoutRegistry {
                    // Its registry databases were just created empty: it awaits a rewrite.
                    try txn.put(meta, key: Self.registryRebuildKey, value: [1])
                }
                try DedupRuns.upgradeFormat4Index(&txn, schema: self)
                return storedVersion
            }
            guard storedVersion == Self.formatVersion else {
                throw StoreError(
                    code: .unsupportedFormat,
                    message: "the store in \(directory) has format version \(storedVersion); this build reads version "
                        + "\(Self.formatVersion) (and upgrades \(Self.upgradableVersions.sorted().map(String.init).joined(separator: " and "))). "
                        + "Use the build that wrote it, or restore a matching backup")
            }
            return storedVersion
        }
        guard try txn.count(log) == 0, try txn.count(audit) == 0 else {
            throw StoreError(
                code: .unsupportedFormat,
                message: "the store in \(directory) holds data but no format version; it was not written by this "
                    + "exchange and will not be opened")
        }
        try txn.put(meta, key: Self.formatKey, value: version.bytes)
        try txn.put(meta, key: IndexMark.key, value: IndexMark(sequence: 0, auditCount: 0).bytes)
        return 0
    }
}

extension StoreSchema {
    /// Records the audit tree's hash algorithm in a new store; refuses to open a store whose tree
    /// uses another one (the tree cannot change algorithm midway).
    func checkAuditHash(_ txn: inout WriteTransaction, _ algorithm: HashAlgorithm, directory: String) throws {
        if let stored = try txn.get(meta, key: Self.auditHashKey) {
            let name = String(decoding: stored, as: UTF8.self)
            guard name == algorithm.rawValue else {
                throw StoreError(
                    code: .unsupportedFormat,
                    message: "the audit log in \(directory) is hashed with \(name); the configuration asks for \(algorithm.rawValue)")
            }
            return
        }
        try txn.put(meta, key: Self.auditHashKey, value: Array(algorithm.rawValue.utf8))
    }
}
