import Foundation
import LMDB
import Testing

@testable import ExchangeStore

/// The deduplication index's sorted runs: every committed key answers with its own entry,
/// whichever run holds it, while runs are written, merged and deleted a bounded step per commit.
@Suite struct DedupIndexTests {
    @Test func everyKeyAnswersWithItsEntryWhileRunsAreWrittenMergedAndDeleted() throws {
        let index = try DedupIndexHarness(threshold: 16, stepEntries: 8)
        var ids: [String] = []
        var sawMerge = false
        for batch in 0..<120 {
            let batchIDs = (0..<(batch % 7)).map { _ in UUID().uuidString }
            ids += batchIDs
            let (step, budget) = try index.commit(batchIDs)
            #expect(step.entries <= budget, "commit \(batch) wrote or deleted \(step.entries) entries, over its budget of \(budget)")
            sawMerge = sawMerge || index.cache.runs.catalog.merge != nil
            for id in ids.suffix(20) + ids.shuffled().prefix(20) {
                #expect(try index.lookup(id) == index.committed[id], "commit \(batch): \(id)")
            }
        }
        try index.settle()
        let catalog = index.cache.runs.catalog
        #expect(sawMerge)
        #expect(catalog.complete.contains { $0.level >= 1 }, "runs were merged: \(catalog.complete)")
        #expect(catalog.obsolete.isEmpty && catalog.merge == nil && catalog.flush == nil)
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id])
        }
        for _ in 0..<500 {
            #expect(try index.lookup(UUID().uuidString) == nil)
        }
        // Every entry is on disk exactly once: the merged inputs were deleted.
        let inRuns = try catalog.complete.reduce(0) { total, run in
            total + (try index.storedEntries(index.schema.database(run.location), run: run.id))
        }
        #expect(inRuns + index.cache.recent.count == ids.count)
        #expect(catalog.complete.map(\.count).reduce(0, +) == UInt64(inRuns))
    }

    @Test func aMergeIsInvisibleUntilCompleteAndItsInputsAnswerMeanwhile() throws {
        let index = try DedupIndexHarness(threshold: 10, stepEntries: 3)
        var ids: [String] = []
        var stepsWhileMerging = 0
        var completedOutput: UInt32?
        while completedOutput == nil, ids.count < 2_000 {
            let id = UUID().uuidString
            ids.append(id)
            let (step, _) = try index.commit([id])
            let catalog = index.cache.runs.catalog
            if let merge = catalog.merge {
                stepsWhileMerging += 1
                #expect(!catalog.complete.contains { $0.id == merge.output.id }, "the output is not read while written")
                #expect(merge.inputs.allSatisfy { input in catalog.complete.contains { $0.id == input } }, "its inputs still answer")
                let written = try index.storedEntries(index.schema.dedupMerged, run: merge.output.id)
                #expect(written < merge.output.count)
            }
            if let output = step.completedMerge {
                completedOutput = output
                #expect(catalog.complete.contains { $0.id == output })
                #expect(catalog.obsolete.count == DedupCache.mergeFanIn, "its inputs are handed to deletion")
                let run = try #require(catalog.complete.first { $0.id == output })
                #expect(run.count >= 40, "four runs of at least ten")
                #expect(try index.storedEntries(index.schema.dedupMerged, run: output) == Int(run.count))
            }
            for id in ids {
                #expect(try index.lookup(id) == index.committed[id])
            }
        }
        #expect(completedOutput != nil)
        #expect(stepsWhileMerging > 1, "the merge took several commits")
    }

    @Test func aFalsePositiveOfAFilterNeverGivesAWrongAnswer() throws {
        // Every filter says "may hold": every look-up reads every run.
        let index = try DedupIndexHarness(threshold: 8, stepEntries: 8, makeFilter: { DedupFilter.saturated(capacity: $0) })
        // Ids that are prefixes of one another, in different runs.
        let ids = ["a", "ab", "abc", "b", "ba", "a\u{0}", "abcd", "c", "ca", "cab", "d", "da", "dab", "e", "ea", "eab", "f", "fa",
            "fab", "g", "ga", "gab", "h", "ha", "hab"]
        for chunk in stride(from: 0, to: ids.count, by: 2) {
            try index.commit(Array(ids[chunk..<min(chunk + 2, ids.count)]))
        }
        try index.settle()
        #expect(index.cache.runs.catalog.complete.count == 3, "24 of the 25 ids are in three runs")
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id], "\(id)")
        }
        for absent in ["", "aa", "abcde", "a\u{0}\u{0}", "bab", "zz", "ab ", "h\u{0}"] {
            #expect(try index.lookup(absent) == nil, "\(absent)")
        }
    }

    @Test func anAbandonedAttemptLeavesTheIndexAsItWas() throws {
        let index = try DedupIndexHarness(threshold: 8, stepEntries: 2)
        var ids: [String] = []
        for _ in 0..<60 {
            let batch = [UUID().uuidString, UUID().uuidString]
            // The same entries first in an attempt that does not commit: it may freeze, write,
            // merge and delete, and none of it may remain.
            let catalog = index.cache.runs.catalog
            let recent = index.cache.recent.count
            let frozen = index.cache.frozen.map { ObjectIdentifier($0) }
            try index.abandon(batch)
            #expect(index.cache.runs.catalog == catalog)
            #expect(index.cache.recent.count == recent)
            #expect(index.cache.frozen.map { ObjectIdentifier($0) } == frozen)
            #expect(try index.lookup(batch[0]) == nil, "an abandoned entry is not a duplicate")
            try index.commit(batch)
            ids += batch
        }
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id])
        }
    }

    @Test func aRestartHandsInterruptedRunsToDeletionAndLosesNoEntry() throws {
        let index = try DedupIndexHarness(threshold: 8, stepEntries: 1)
        var ids: [String] = []
        var interrupted: [UInt32] = []
        // Stop once a run written from memory and a merge are both unfinished.
        while interrupted.isEmpty, ids.count < 5_000 {
            let id = UUID().uuidString
            ids.append(id)
            try index.commit([id])
            let catalog = index.cache.runs.catalog
            if let flush = catalog.flush, let merge = catalog.merge,
                try index.storedEntries(index.schema.dedupRuns, run: flush.id) > 0,
                try index.storedEntries(index.schema.dedupMerged, run: merge.output.id) > 0
            {
                interrupted = [flush.id, merge.output.id]
            }
        }
        #expect(interrupted.count == 2)
        try index.reopen()
        let catalog = index.cache.runs.catalog
        #expect(catalog.flush == nil && catalog.merge == nil)
        #expect(Set(catalog.obsolete.map(\.id)).isSuperset(of: interrupted), "what was half written is deleted in steps")
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id])
        }
        for _ in 0..<50 {
            let id = UUID().uuidString
            ids.append(id)
            try index.commit([id])
        }
        try index.settle()
        #expect(index.cache.runs.catalog.obsolete.isEmpty)
        #expect(try index.storedEntries(index.schema.dedupRuns, run: interrupted[0]) == 0)
        #expect(try index.storedEntries(index.schema.dedupMerged, run: interrupted[1]) == 0)
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id])
        }
    }

    @Test func aLargeFrozenSetIsSortedOffTheWriterAndAnswersMeanwhile() throws {
        let index = try DedupIndexHarness(threshold: 3_000, stepEntries: 50)
        let ids = (0..<3_000).map { _ in UUID().uuidString }
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            try index.commit(Array(ids[chunk..<chunk + 500]))
        }
        let frozen = try #require(index.cache.frozen, "3,000 entries reached the threshold")
        #expect(index.cache.recent.isEmpty)
        for id in ids.prefix(100) {
            #expect(try index.lookup(id) == index.committed[id], "frozen entries answer from memory")
        }
        var commits = 0
        while index.cache.frozen != nil, commits < 100_000 {
            if frozen.prepared == nil { Thread.sleep(forTimeInterval: 0.001) }
            let (step, budget) = try index.commit([])
            #expect(step.entries <= budget)
            commits += 1
        }
        #expect(index.cache.frozen == nil)
        #expect(commits >= 3_000 / (50 + 0) / 2, "written over many commits")
        #expect(index.cache.runs.catalog.complete.map(\.count) == [3_000])
        for id in ids {
            #expect(try index.lookup(id) == index.committed[id])
        }
    }
}
