@testable import ExchangeServer
import Synchronization
import Testing

private final class Flag: Sendable {
    private let storage = Atomic(false)
    var isSet: Bool { storage.load(ordering: .sequentiallyConsistent) }
    func set() { storage.store(true, ordering: .sequentiallyConsistent) }
}

/// Flow control and coalescing of a WebSocket publish stream's answers.
@Suite struct PublishReplyQueueTests {
    private static func line(_ index: Int) -> [UInt8] { Array(#"{"index":\#(index)}"#.utf8) }

    @Test func answersThatGatherAreSentAsOneFrameOfLines() async {
        let queue = PublishReplyQueue(capacity: 8)
        for index in 0..<3 {
            #expect(await queue.reserve())
            queue.push(Self.line(index))
        }
        let frame = await queue.next()
        #expect(frame.map { String(decoding: $0, as: UTF8.self) } == "{\"index\":0}\n{\"index\":1}\n{\"index\":2}")
    }

    @Test func aFrameHoldsAtMostTheConfiguredNumberOfAnswers() async {
        let queue = PublishReplyQueue(capacity: 16, maxRepliesPerFrame: 4)
        for index in 0..<10 {
            #expect(await queue.reserve())
            queue.push(Self.line(index))
        }
        var frames: [String] = []
        for _ in 0..<3 {
            if let frame = await queue.next() { frames.append(String(decoding: frame, as: UTF8.self)) }
        }
        #expect(frames.map { $0.split(separator: "\n").count } == [4, 4, 2])
        #expect(frames.joined(separator: "\n").split(separator: "\n").map(String.init) == (0..<10).map { "{\"index\":\($0)}" })
    }

    @Test func readingStopsAtCapacityUntilAnswersAreTaken() async throws {
        let queue = PublishReplyQueue(capacity: 2)
        #expect(await queue.reserve())
        #expect(await queue.reserve())
        let granted = Flag()
        let third = Task {
            let result = await queue.reserve()
            granted.set()
            return result
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!granted.isSet)
        // An answer that arrived but was not yet taken for sending still holds its slot.
        queue.push(Self.line(0))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!granted.isSet)
        _ = await queue.next()
        #expect(await third.value)
    }

    /// The frames awaiting their commit hold at most the byte budget: the next frame waits
    /// until an answer gives its frame's bytes back, and one frame larger than the budget
    /// still goes when nothing else is in flight.
    @Test func readingStopsAtTheByteBudgetUntilAnAnswerGivesItsBytesBack() async throws {
        let queue = PublishReplyQueue(capacity: 100, byteCapacity: 1000)
        #expect(await queue.reserve(bytes: 600))
        #expect(await queue.reserve(bytes: 300))
        let granted = Flag()
        let third = Task {
            let result = await queue.reserve(bytes: 200)
            granted.set()
            return result
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(!granted.isSet, "a frame was read past the byte budget")
        // The answer of the 300-byte frame: 600 + 200 fit.
        queue.push(Self.line(1), releasing: 300)
        #expect(await third.value)

        let large = PublishReplyQueue(capacity: 100, byteCapacity: 1000)
        #expect(await large.reserve(bytes: 5000), "a frame over the budget must go alone")
        let next = Task { await large.reserve(bytes: 1) }
        try await Task.sleep(for: .milliseconds(50))
        large.push(Self.line(0), releasing: 5000)
        #expect(await next.value)
    }

    @Test func closingEndsTheWriterOnlyAfterTheAnswersStillDue() async throws {
        let queue = PublishReplyQueue(capacity: 4)
        #expect(await queue.reserve())
        #expect(await queue.reserve())
        queue.push(Self.line(0))
        queue.close()
        #expect(await queue.reserve() == false)
        #expect(await queue.next().map { String(decoding: $0, as: UTF8.self) } == "{\"index\":0}")
        // One answer is still due (its commit has not finished): the writer waits for it.
        let last = Task { await queue.next() }
        try await Task.sleep(for: .milliseconds(50))
        queue.push(Self.line(1))
        #expect(await last.value.map { String(decoding: $0, as: UTF8.self) } == "{\"index\":1}")
        #expect(await queue.next() == nil)
    }
}
