import Foundation
import LMDB
import TestSupport
import Testing

@Suite struct EnvironmentTests {
    @Test func committedWritesPersistAcrossReopen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let env = try Environment(path: directory.path)
            let db = try env.write { txn in try txn.openDatabase("things", flags: .create) }
            try env.write { txn in try txn.put(db, key: Array("k".utf8), value: Array("v".utf8)) }
            env.close()
        }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase("things") }
        let value = try env.read { txn in try txn.get(db, key: Array("k".utf8)) }
        #expect(value == Array("v".utf8))
    }

    @Test func abortedAndAbandonedTransactionsLeaveNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase(nil) }
        var txn = try env.beginWrite()
        try txn.put(db, key: [1], value: [1])
        txn.abort()
        do {
            var abandoned = try env.beginWrite()
            try abandoned.put(db, key: [2], value: [2])
            _ = abandoned
        }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try env.write { txn in
                try txn.put(db, key: [3], value: [3])
                throw Refused()
            }
        }
        let count = try env.read { txn in try txn.count(db) }
        #expect(count == 0)
    }

    @Test func missingKeyIsNilNotAnError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase(nil) }
        let value = try env.read { txn in try txn.get(db, key: [9, 9]) }
        #expect(value == nil)
    }

    @Test func errorsCarryCodeAndLibraryText() throws {
        let missing = NSTemporaryDirectory() + "lmdb-missing-" + UUID().uuidString + "/nested"
        do {
            _ = try Environment(path: missing)
            Issue.record("opening a missing directory succeeded")
        } catch let error as LMDBError {
            #expect(error.code == ENOENT)
            #expect(error.message == "No such file or directory")
            #expect(error.description.contains("mdb_env_open"))
        }
    }

    @Test func cursorsWalkInBigEndianKeyOrderAndSeek() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase(nil) }
        let numbers: [UInt64] = [300, 2, 70_000, 1, 256]
        try env.write { txn in
            for number in numbers {
                try txn.put(db, key: withUnsafeBytes(of: number.bigEndian) { Array($0) }, value: [])
            }
        }
        func decode(_ key: UnsafeRawBufferPointer) -> UInt64 {
            UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
        }
        let (walked, sought) = try env.read { txn in
            try txn.withCursor(db) { cursor -> ([UInt64], UInt64?) in
                var walked: [UInt64] = []
                var entry = try cursor.first()
                while let current = entry {
                    walked.append(decode(current.key))
                    entry = try cursor.next()
                }
                let sought = try cursor.seek(atOrAfter: withUnsafeBytes(of: UInt64(257).bigEndian) { Array($0) })
                return (walked, sought.map { decode($0.key) })
            }
        }
        #expect(walked == numbers.sorted())
        #expect(sought == 300)
    }

    @Test func appendFlagRefusesOutOfOrderKeys() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase(nil) }
        try env.write { txn in try txn.put(db, key: [5], value: [], flags: .append) }
        #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: [4], value: [], flags: .append) }
        }
    }

    @Test func nestedTransactionThatThrowsIsUndoneAlone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase(nil) }
        struct Refused: Error {}
        try env.write { txn in
            try txn.put(db, key: [1], value: [1])
            _ = try? txn.nested { child in
                try child.put(db, key: [2], value: [2])
                throw Refused()
            }
            try txn.nested { child in try child.put(db, key: [3], value: [3]) }
        }
        let keys = try env.read { txn in
            try [[1], [2], [3]].map { try txn.get(db, key: $0) != nil }
        }
        #expect(keys == [true, false, true])
    }

    @Test func fullMapIsReportedAndGrowingItLetsTheWriteThrough() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let env = try Environment(path: directory.path, configuration: .init(mapSize: 64 * 1024))
        let db = try env.write { txn in try txn.openDatabase(nil) }
        let big = [UInt8](repeating: 7, count: 200 * 1024)
        do {
            try env.write { txn in try txn.put(db, key: [1], value: big) }
            Issue.record("a value larger than the map was stored")
        } catch let error as LMDBError {
            #expect(error.isMapFull)
        }
        #expect(try env.read { txn in try txn.count(db) } == 0)
        try env.setMapSize(1 << 20)
        try env.write { txn in try txn.put(db, key: [1], value: big) }
        #expect(try env.read { txn in try txn.get(db, key: [1]) } == big)
        #expect(env.info().mapSize == 1 << 20)
    }

    @Test func hotCopyHoldsTheCommittedData() throws {
        let directory = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer {
            directory.remove()
            target.remove()
        }
        let env = try Environment(path: directory.path)
        let db = try env.write { txn in try txn.openDatabase("data", flags: .create) }
        try env.write { txn in try txn.put(db, key: [1], value: [42]) }
        try env.copy(to: target.path)
        let copy = try Environment(path: target.path)
        let copied = try copy.write { txn in try txn.openDatabase("data") }
        #expect(try copy.read { txn in try txn.get(copied, key: [1]) } == [42])
    }
}
