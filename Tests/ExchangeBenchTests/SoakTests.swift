import Testing

@testable import exchange_bench

/// The soak mode's arithmetic: its minutes, their summary, the daemon's memory and the
/// sequences it acknowledges.
@Suite struct SoakTests {
    static func minute(_ number: Int, rss: Int, anonymous: Int, p99: Double) -> SoakMinute {
        var minute = SoakRecorder.Bucket().minute(number)
        minute.memory = ProcessMemory(rss: rss, highWater: rss, anonymous: anonymous, file: rss - anonymous)
        minute.delivery = LatencySummary(nanoseconds: [UInt64(p99 * 1e6)])
        minute.ack = LatencySummary(nanoseconds: [UInt64(p99 * 5e5)])
        minute.published = 10
        minute.delivered = 9
        return minute
    }

    @Test func growthIsTheSlopeOverTheSecondHalfOnly() throws {
        // The first half climbs steeply (warming up), the second by 1 MiB a minute.
        let rss = [100, 200, 300, 301, 302, 303].map { $0 << 20 }
        let minutes = rss.enumerated().map { Self.minute($0.offset + 1, rss: $0.element, anonymous: 50 << 20, p99: Double($0.offset + 1)) }
        let summary = SoakSummary(minutes)
        #expect(summary.firstRSS == 100 << 20)
        #expect(summary.lastRSS == 303 << 20)
        #expect(summary.maxRSS == 303 << 20)
        let growth = try #require(summary.rssGrowthPerMinute)
        #expect(abs(growth - Double(1 << 20)) < 1)
        #expect(summary.anonymousGrowthPerMinute == 0)
        #expect(summary.deliveryP99 == 1.0...6.0)
        #expect(summary.ackP99 == 0.5...3.0)
        #expect(summary.published == 60)
        #expect(summary.delivered == 54)
    }

    @Test func oneMinuteHasNoGrowthAndMinutesWithoutEventsNoPercentiles() {
        var idle = Self.minute(1, rss: 10, anonymous: 5, p99: 0)
        idle.delivery = LatencySummary(nanoseconds: [])
        let summary = SoakSummary([idle])
        #expect(summary.rssGrowthPerMinute == nil)
        #expect(summary.deliveryP99 == nil)
        #expect(SoakSummary([]).firstRSS == nil)
    }

    @Test func theRecorderHandsOverOneMinuteAndStartsAfresh() {
        let recorder = SoakRecorder()
        for latency in 1...100 { recorder.delivered(UInt64(latency) * 1_000_000) }
        recorder.published(2_000_000)
        recorder.published(nil)
        recorder.pulled(100, acked: 100)
        recorder.pulled(500, acked: 0)
        recorder.replayed(1000, seconds: 2)
        let minute = recorder.take().minute(3)
        #expect(minute.minute == 3)
        #expect(minute.delivered == 100)
        #expect(minute.delivery.p50 == 50)
        #expect(minute.delivery.p99 == 99)
        #expect(minute.delivery.max == 100)
        #expect(minute.published == 1)
        #expect(minute.publishErrors == 1)
        #expect(minute.pulled == 600)
        #expect(minute.acked == 100)
        #expect(minute.replayed == 1000)
        let next = recorder.take().minute(4)
        #expect(next.delivered == 0 && next.published == 0 && next.pulled == 0)
    }

    @Test func memoryIsReadFromProcStatus() throws {
        let status = """
            Name:\texchanged
            VmHWM:\t  204800 kB
            VmRSS:\t  102400 kB
            RssAnon:\t   81920 kB
            RssFile:\t   20480 kB
            Threads:\t12
            """
        let memory = try #require(ProcessMemory.parse(status: status))
        #expect(memory == ProcessMemory(rss: 100 << 20, highWater: 200 << 20, anonymous: 80 << 20, file: 20 << 20))
        #expect(ProcessMemory.parse(status: "Name:\tx\n") == nil)
    }

    @Test func kindsAreSharedOutInOrder() {
        let kinds = SoakSubscribers.kinds(count: 10, neverAck: 1, slow: 2)
        #expect(kinds == [.neverAck, .slow, .slow] + Array(repeating: .normal, count: 7))
        #expect(SoakSubscribers.kinds(count: 3, neverAck: 5, slow: 5) == [.neverAck, .neverAck, .neverAck])
    }

    @Test func everySequenceOfAPullIsFound() {
        let body = #"[{"id":"a","sequence":"17","data":{"k":"1"}},{"sequence":"18","id":"b"},{"id":"c","sequence":"123456789"}]"#
        let found = Array(body.utf8).withUnsafeBytes { SoakSubscribers.sequences(in: $0) }
        #expect(found == [17, 18, 123_456_789])
        #expect(Array("[]".utf8).withUnsafeBytes { SoakSubscribers.sequences(in: $0) }.isEmpty)
    }
}

/// Where the soak's next replay starts.
@Suite struct SoakReplayerTests {
    @Test func theLastSequenceReceivedIsTheLastLines() {
        let ending = "\"sequence\":\"41\",\"data\":{}}\n{\"id\":\"x\",\"sequence\":\"42\",\"data\":{}}\n{\"id\":\"y\",\"sequence\":\"43\",\"data\":{\"pad\":\"xx"
        let found = Array(ending.utf8).withUnsafeBytes { SoakReplayer.lastSequence(in: $0) }
        #expect(found == 43)
        #expect(Array("no events".utf8).withUnsafeBytes { SoakReplayer.lastSequence(in: $0) } == nil)
    }
}
