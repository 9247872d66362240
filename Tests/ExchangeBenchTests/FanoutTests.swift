import Testing

@testable import exchange_bench

/// The fanout mode's pull answers and its delivery count.
@Suite struct FanoutTests {
    @Test func aPullAnswerGivesEachEventsSequenceIndexAndStamp() throws {
        let body = """
            [{"specversion":"1.0","id":"bx-0000000000000007","source":"bench-publisher","type":"bench.event","topic":"bench.load",\
            "data":{"k":"0000000000000007","t":"00000000001234567890","pad":"xx"},"sequence":"41","agreement":"bench"},\
            {"specversion":"1.0","id":"bx-0000000000000008","sequence":"42","agreement":"bench",\
            "data":{"k":"0000000000000008","t":"00000000001234570000","pad":"xx"}}]
            """
        let deliveries = try #require(Array(body.utf8).withUnsafeBytes { FanoutPuller.deliveries(in: $0) })
        #expect(
            deliveries == [
                .init(sequence: 41, index: 7, stamp: 1_234_567_890),
                .init(sequence: 42, index: 8, stamp: 1_234_570_000),
            ])
        #expect(Array("[]".utf8).withUnsafeBytes { FanoutPuller.deliveries(in: $0) } == [])
    }

    @Test func anAnswerMissingAStampIsRefused() {
        let body = #"[{"sequence":"1","data":{"k":"0000000000000001","pad":"x"}}]"#
        #expect(Array(body.utf8).withUnsafeBytes { FanoutPuller.deliveries(in: $0) } == nil)
    }

    @Test func missingIsCountedPerSubscriber() {
        var complete = SubscriptionStreamReader.Result()
        complete.received = 100
        complete.latencies = [1, 2, 3]
        var short = SubscriptionStreamReader.Result()
        short.received = 97
        short.errors = 1
        short.firstError = "closed"
        // A redelivery to one subscriber does not hide another's loss.
        var twice = SubscriptionStreamReader.Result()
        twice.received = 101
        twice.latencies = [4]
        let tally = FanoutTally(published: 100, subscribers: [complete, short, twice])
        #expect(tally.expected == 300)
        #expect(tally.delivered == 298)
        #expect(tally.missing == 3)
        #expect(tally.measuredLatencies == [1, 2, 3, 4])
        #expect(tally.errors == 1)
        #expect(tally.firstError == "closed")
    }
}
