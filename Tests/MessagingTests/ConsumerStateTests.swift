import Logging
import Testing
import TestSupport

@testable import Messaging

/// `ConsumerState` is a plain value: every test drives it directly, with `Int` or `String` waiters.
@Suite("Consumer state machine")
struct ConsumerStateTests {
    typealias State = ConsumerState<Int>

    static let topic = "dms.test.events.v1"
    static let p0 = TopicPartition(topic, 0)
    static let p1 = TopicPartition(topic, 1)
    static let p2 = TopicPartition(topic, 2)
    static let other = TopicPartition("dms.other.v1", 0)

    static func message(_ tp: TopicPartition, _ offset: Int64, generation: Int) -> ConsumedMessage {
        ConsumedMessage(
            topic: tp.topic, partition: tp.partition, offset: offset, key: Array("k\(offset)".utf8),
            value: Array("v\(offset)".utf8), generation: generation)
    }

    /// A state with `partitions` assigned (generation 1).
    static func assigned(
        _ partitions: Set<TopicPartition> = [p0, p1], high: Int = 100, low: Int = 10
    ) -> State {
        var state = State(highWatermark: high, lowWatermark: low)
        state.assign(partitions)
        return state
    }

    static func offsets(_ batch: [ConsumedMessage]) -> [String] {
        batch.map { "\($0.topicPartition)@\($0.offset)" }
    }

    // MARK: Buffer

    @Test("a fresh state is empty, unassigned, unpaused, generation 0")
    func fresh() {
        var state = State(highWatermark: 2, lowWatermark: 1)
        #expect(state.buffered == 0)
        #expect(state.assigned.isEmpty)
        #expect(state.generation == 0)
        #expect(state.inFlight == 0)
        #expect(!state.stopped)
        #expect(!state.paused)
        #expect(state.processed.isEmpty)
        #expect(state.take(10).isEmpty)
        #expect(state.inFlight == 0)
        #expect(state.fetchAction() == .none)
    }

    @Test("assign bumps the generation and replaces the assignment")
    func assign() {
        var state = State(highWatermark: 2, lowWatermark: 1)
        state.assign([Self.p0])
        #expect(state.generation == 1)
        #expect(state.assigned == [Self.p0])
        state.assign([Self.p1, Self.p2])
        #expect(state.generation == 2)
        #expect(state.assigned == [Self.p1, Self.p2])
    }

    @Test("take hands messages out in append order, across partitions and appends")
    func ordering() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 5, generation: g), Self.message(Self.p1, 0, generation: g)])
        _ = state.append([Self.message(Self.p0, 6, generation: g)])
        _ = state.append([])
        _ = state.append([Self.message(Self.p1, 1, generation: g), Self.message(Self.p0, 7, generation: g)])
        #expect(state.buffered == 5)

        let first = state.take(2)
        #expect(Self.offsets(first) == ["\(Self.p0)@5", "\(Self.p1)@0"])
        #expect(first.map(\.value) == [Array("v5".utf8), Array("v0".utf8)])
        #expect(first.map(\.key) == [Array("k5".utf8), Array("k0".utf8)])
        #expect(state.buffered == 3)
        #expect(state.inFlight == 1)

        let rest = state.take(100)
        #expect(Self.offsets(rest) == ["\(Self.p0)@6", "\(Self.p1)@1", "\(Self.p0)@7"])
        #expect(state.buffered == 0)
        #expect(state.inFlight == 2)

        // Nothing left: an empty take is not a batch.
        #expect(state.take(10).isEmpty)
        #expect(state.inFlight == 2)
    }

    @Test("take(0) hands out nothing and counts no batch")
    func takeZero() {
        var state = Self.assigned()
        _ = state.append([Self.message(Self.p0, 0, generation: state.generation)])
        #expect(state.take(0).isEmpty)
        #expect(state.inFlight == 0)
        #expect(state.buffered == 1)
    }

    @Test("order survives compaction of a long buffer")
    func compaction() {
        var state = Self.assigned(high: 100_000, low: 10)
        let g = state.generation
        _ = state.append((0..<10_000).map { Self.message(Self.p0, Int64($0), generation: g) })
        #expect(state.buffered == 10_000)
        var expected: Int64 = 0
        var appended = 0
        // Batch sizes chosen so that the read position passes the compaction threshold mid-way.
        for size in [4_000, 1_000, 1, 2, 500, 3_000, 1_497] {
            let batch = state.take(size)
            #expect(batch.count == size)
            #expect(batch.map(\.offset) == Array(expected..<(expected + Int64(size))))
            expected += Int64(size)
            #expect(state.buffered == 10_000 + appended - Int(expected))
            // Appending after compaction keeps the tail in order.
            if expected == 5_001 {
                _ = state.append((10_000..<10_010).map { Self.message(Self.p0, Int64($0), generation: g) })
                appended = 10
            }
        }
        #expect(state.buffered == 10)
        #expect(state.take(100).map(\.offset) == Array(10_000..<10_010))
        #expect(state.buffered == 0)
    }

    @Test("messages of a stale generation are dropped on append")
    func staleGenerationDropped() {
        var state = Self.assigned()
        let g = state.generation
        #expect(g == 1)
        _ = state.append([
            Self.message(Self.p0, 0, generation: g - 1),
            Self.message(Self.p0, 1, generation: g),
            Self.message(Self.p1, 0, generation: g + 1),
            Self.message(Self.p1, 1, generation: g),
        ])
        #expect(state.buffered == 2)
        #expect(Self.offsets(state.take(10)) == ["\(Self.p0)@1", "\(Self.p1)@1"])

        // After a reassignment, messages fetched under the previous one are stale.
        state.assign([Self.p0, Self.p1])
        _ = state.append([Self.message(Self.p0, 2, generation: g)])
        #expect(state.buffered == 0)
        _ = state.append([Self.message(Self.p0, 2, generation: state.generation)])
        #expect(state.buffered == 1)
    }

    @Test("messages of an unassigned partition are dropped on append")
    func unassignedDropped() {
        var state = Self.assigned([Self.p0])
        let g = state.generation
        _ = state.append([
            Self.message(Self.p1, 0, generation: g),
            Self.message(Self.other, 0, generation: g),
            Self.message(Self.p0, 3, generation: g),
            Self.message(TopicPartition("dms.test.events.v1", 9), 0, generation: g),
        ])
        #expect(state.buffered == 1)
        #expect(Self.offsets(state.take(10)) == ["\(Self.p0)@3"])

        // Before any assignment nothing is accepted.
        var fresh = State(highWatermark: 10, lowWatermark: 1)
        _ = fresh.append([Self.message(Self.p0, 0, generation: 0)])
        #expect(fresh.buffered == 0)
    }

    // MARK: Watermarks

    @Test("fetching pauses at the high watermark and resumes at the low one, exactly once each")
    func watermarks() {
        var state = Self.assigned(high: 4, low: 1)
        let g = state.generation
        func add(_ n: Int, from: Int64) {
            _ = state.append((0..<n).map { Self.message(Self.p0, from + Int64($0), generation: g) })
        }
        add(3, from: 0)
        #expect(state.fetchAction() == .none)
        #expect(!state.paused)
        add(1, from: 3)
        #expect(state.buffered == 4)
        #expect(state.fetchAction() == .pause)
        #expect(state.paused)
        #expect(state.fetchAction() == .none)
        add(3, from: 4)  // above the high watermark: still one pause
        #expect(state.fetchAction() == .none)

        _ = state.take(5)  // 2 left: between the watermarks
        #expect(state.buffered == 2)
        #expect(state.fetchAction() == .none)
        #expect(state.paused)
        _ = state.take(1)  // 1 left: at the low watermark
        #expect(state.fetchAction() == .resume)
        #expect(!state.paused)
        #expect(state.fetchAction() == .none)
        _ = state.take(1)
        #expect(state.fetchAction() == .none)

        // And again, a second cycle.
        add(4, from: 10)
        #expect(state.fetchAction() == .pause)
        #expect(state.fetchAction() == .none)
        _ = state.take(4)
        #expect(state.fetchAction() == .resume)
        #expect(state.fetchAction() == .none)
    }

    @Test("between the watermarks nothing changes, whichever way the buffer moves")
    func hysteresis() {
        var state = Self.assigned(high: 10, low: 2)
        let g = state.generation
        _ = state.append((0..<9).map { Self.message(Self.p0, Int64($0), generation: g) })
        #expect(state.fetchAction() == .none)  // 9 < 10: not paused
        _ = state.take(6)  // 3
        #expect(state.fetchAction() == .none)  // not paused, so no resume either
        _ = state.append((9..<16).map { Self.message(Self.p0, Int64($0), generation: g) })  // 10
        #expect(state.fetchAction() == .pause)
        _ = state.take(7)  // 3
        #expect(state.fetchAction() == .none)
        _ = state.append((16..<18).map { Self.message(Self.p0, Int64($0), generation: g) })  // 5
        #expect(state.fetchAction() == .none)
        _ = state.take(3)  // 2
        #expect(state.fetchAction() == .resume)
    }

    @Test("a low watermark of 0 resumes only when the buffer is empty")
    func lowWatermarkZero() {
        var state = Self.assigned(high: 2, low: 0)
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g), Self.message(Self.p0, 1, generation: g)])
        #expect(state.fetchAction() == .pause)
        _ = state.take(1)
        #expect(state.fetchAction() == .none)
        _ = state.take(1)
        #expect(state.fetchAction() == .resume)
    }

    @Test("revoking while paused empties the buffer, so fetching resumes once")
    func revokeWhilePaused() {
        var state = Self.assigned(high: 2, low: 1)
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g), Self.message(Self.p0, 1, generation: g)])
        #expect(state.fetchAction() == .pause)
        _ = state.revokeAll()
        #expect(state.buffered == 0)
        #expect(state.fetchAction() == .resume)
        #expect(state.fetchAction() == .none)
    }

    // MARK: Waiting

    @Test("wait returns the waiter at once when enough is buffered")
    func waitEnoughBuffered() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g), Self.message(Self.p0, 1, generation: g)])
        #expect(state.wait(id: 1, minimum: 2, 10) == 10)
        #expect(state.wait(id: 2, minimum: 1, 20) == 20)
        // Nothing was registered, so the next append wakes nobody and a new wait may register.
        #expect(state.append([Self.message(Self.p0, 2, generation: g)]).waiter == nil)
        #expect(state.wait(id: 3, minimum: 10, 30) == nil)
    }

    @Test("wait returns the waiter at once when stopped")
    func waitWhenStopped() {
        var state = Self.assigned()
        #expect(state.stop() == nil)
        #expect(state.stopped)
        #expect(state.wait(id: 1, minimum: 1, 7) == 7)
        #expect(state.wait(id: 2, minimum: 1_000, 8) == 8)
    }

    @Test("a waiter not yet satisfied is returned by the append that satisfies it, once")
    func waitThenAppend() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g)])
        #expect(state.wait(id: 1, minimum: 3, 42) == nil)
        #expect(state.append([Self.message(Self.p0, 1, generation: g)]).waiter == nil)  // 2 of 3
        #expect(state.append([]).waiter == nil)
        // Dropped messages do not count.
        #expect(state.append([Self.message(Self.p2, 0, generation: g), Self.message(Self.p0, 9, generation: 0)]).waiter == nil)
        #expect(state.buffered == 2)
        #expect(state.append([Self.message(Self.p1, 0, generation: g), Self.message(Self.p1, 1, generation: g)]).waiter == 42)
        #expect(state.buffered == 4)
        // Handed back once: the next append finds nobody waiting.
        #expect(state.append([Self.message(Self.p1, 2, generation: g)]).waiter == nil)
        // And the endWait that follows the resumed wait returns nothing.
        #expect(state.endWait(id: 1) == nil)
    }

    @Test("a String waiter works the same way")
    func stringWaiter() {
        var state = ConsumerState<String>(highWatermark: 4, lowWatermark: 1)
        state.assign([Self.p0])
        #expect(state.wait(id: 1, minimum: 1, "reader") == nil)
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation)]).waiter == "reader")
    }

    @Test("endWait returns a registered waiter, which then is no longer woken")
    func endWaitRegistered() {
        var state = Self.assigned()
        #expect(state.wait(id: 1, minimum: 1, 5) == nil)
        #expect(state.endWait(id: 1) == 5)
        #expect(state.endWait(id: 1) == nil)
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation)]).waiter == nil)
        #expect(state.stop() == nil)
    }

    @Test("endWait of another id leaves the registered waiter alone")
    func endWaitOtherID() {
        var state = Self.assigned()
        #expect(state.wait(id: 1, minimum: 1, 11) == nil)
        #expect(state.endWait(id: 1) == 11)
        #expect(state.wait(id: 2, minimum: 1, 22) == nil)
        #expect(state.endWait(id: 1) == nil)  // the old wait, ended again (e.g. timer and cancel)
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation)]).waiter == 22)
    }

    @Test("a wait ended before it registered does not block when it registers later")
    func endWaitBeforeRegistering() {
        var state = Self.assigned()
        // Wait 1 registers and finishes normally.
        #expect(state.wait(id: 1, minimum: 1, 1) == nil)
        #expect(state.endWait(id: 1) == 1)
        // Wait 2's deadline fires before it registered.
        #expect(state.endWait(id: 2) == nil)
        // It registers with nothing buffered, yet is handed back at once.
        #expect(state.buffered == 0)
        #expect(state.wait(id: 2, minimum: 1, 2) == 2)
        // Only once: wait 3 blocks as usual and is woken by data.
        #expect(state.wait(id: 3, minimum: 1, 3) == nil)
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation)]).waiter == 3)
    }

    @Test("ending an already finished wait does not make a later wait return early")
    func endWaitStaleID() {
        var state = Self.assigned()
        #expect(state.wait(id: 5, minimum: 1, 5) == nil)
        #expect(state.endWait(id: 5) == 5)
        // Late ends of finished waits (ids not above the newest registered).
        #expect(state.endWait(id: 5) == nil)
        #expect(state.endWait(id: 3) == nil)
        #expect(state.wait(id: 6, minimum: 1, 6) == nil)
        #expect(state.endWait(id: 6) == 6)
        // A wait that returned at once (enough buffered) and is ended afterwards.
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g)])
        #expect(state.wait(id: 7, minimum: 1, 7) == 7)
        #expect(state.endWait(id: 7) == nil)
        _ = state.take(1)
        #expect(state.wait(id: 8, minimum: 1, 8) == nil)
        #expect(state.append([Self.message(Self.p0, 1, generation: g)]).waiter == 8)
    }

    @Test("several waits ended early are each remembered")
    func severalEndedEarly() {
        var state = Self.assigned()
        #expect(state.endWait(id: 3) == nil)
        #expect(state.endWait(id: 4) == nil)
        #expect(state.wait(id: 3, minimum: 1, 3) == 3)
        #expect(state.wait(id: 4, minimum: 1, 4) == 4)
        #expect(state.wait(id: 5, minimum: 1, 5) == nil)
    }

    // MARK: Completion and commits

    @Test("completed returns last offset + 1 per partition and decrements inFlight")
    func completedOffsets() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([
            Self.message(Self.p0, 10, generation: g), Self.message(Self.p1, 3, generation: g),
            Self.message(Self.p0, 11, generation: g), Self.message(Self.p0, 12, generation: g),
        ])
        let batch = state.take(10)
        #expect(state.inFlight == 1)
        let commit = state.completed(batch)
        #expect(commit == [Self.p0: 13, Self.p1: 4])
        #expect(state.processed == [Self.p0: 13, Self.p1: 4])
        #expect(state.inFlight == 0)
    }

    @Test("offsets only move forward, so batches completed out of order commit nothing backwards")
    func forwardOnly() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append((0..<4).map { Self.message(Self.p0, Int64($0), generation: g) })
        _ = state.append([Self.message(Self.p1, 0, generation: g)])
        let a = state.take(2)  // p0@0, p0@1
        let b = state.take(3)  // p0@2, p0@3, p1@0
        #expect(state.inFlight == 2)
        #expect(state.completed(b) == [Self.p0: 4, Self.p1: 1])
        #expect(state.inFlight == 1)
        #expect(state.completed(a) == [:])
        #expect(state.inFlight == 0)
        #expect(state.processed == [Self.p0: 4, Self.p1: 1])
        // The same batch completed again commits nothing new.
        #expect(state.completed(b) == [:])
        #expect(state.processed == [Self.p0: 4, Self.p1: 1])
    }

    @Test("within one batch the highest offset wins, in whatever order")
    func highestInBatch() {
        var state = Self.assigned()
        let g = state.generation
        let batch = [
            Self.message(Self.p0, 7, generation: g), Self.message(Self.p0, 3, generation: g),
            Self.message(Self.p0, 5, generation: g),
        ]
        #expect(state.completed(batch) == [Self.p0: 8])
        #expect(state.processed == [Self.p0: 8])
    }

    @Test("offset 0 commits 1")
    func offsetZero() {
        var state = Self.assigned()
        #expect(state.completed([Self.message(Self.p0, 0, generation: state.generation)]) == [Self.p0: 1])
    }

    @Test("completed commits only the current generation and assigned partitions")
    func completedFilters() {
        var state = Self.assigned([Self.p0, Self.p1])
        let g = state.generation
        let batch = [
            Self.message(Self.p0, 1, generation: g - 1),  // stale
            Self.message(Self.p1, 1, generation: g),
            Self.message(Self.p2, 1, generation: g),  // unassigned
            Self.message(Self.other, 1, generation: g),  // unassigned
        ]
        #expect(state.completed(batch) == [Self.p1: 2])
        #expect(state.processed == [Self.p1: 2])
    }

    @Test("a batch taken before a reassignment commits nothing afterwards")
    func reassignedBatch() {
        var state = Self.assigned([Self.p0])
        _ = state.append([Self.message(Self.p0, 0, generation: state.generation)])
        let batch = state.take(1)
        state.assign([Self.p0])
        #expect(state.processed.isEmpty)
        #expect(state.completed(batch) == [:])
        #expect(state.inFlight == 0)
    }

    @Test("inFlight never goes below zero; released decrements it")
    func inFlightFloor() {
        var state = Self.assigned()
        let g = state.generation
        #expect(state.completed([]) == [:])
        #expect(state.inFlight == 0)
        state.released()
        #expect(state.inFlight == 0)
        _ = state.append((0..<3).map { Self.message(Self.p0, Int64($0), generation: g) })
        _ = state.take(1)
        _ = state.take(1)
        let last = state.take(1)
        #expect(state.inFlight == 3)
        state.released()
        #expect(state.inFlight == 2)
        #expect(state.completed([]) == [:])
        #expect(state.inFlight == 1)
        #expect(state.completed(last) == [Self.p0: 3])
        #expect(state.inFlight == 0)
        state.released()
        #expect(state.inFlight == 0)
    }

    // MARK: Revocation

    @Test("revokeAll returns processed offsets and clears buffer, assignment and offsets")
    func revokeAll() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append((0..<5).map { Self.message(Self.p0, Int64($0), generation: g) })
        _ = state.append([Self.message(Self.p1, 0, generation: g)])
        let done = state.take(2)
        #expect(state.completed(done) == [Self.p0: 2])
        #expect(state.buffered == 4)

        let offsets = state.revokeAll()
        #expect(offsets == [Self.p0: 2])
        #expect(state.buffered == 0)
        #expect(state.take(10).isEmpty)
        #expect(state.assigned.isEmpty)
        #expect(state.processed.isEmpty)
        #expect(state.generation == g + 1)
        // Nothing left to commit a second time.
        #expect(state.revokeAll().isEmpty)
        #expect(state.generation == g + 2)
    }

    @Test("a batch taken before revocation commits nothing afterwards, even once the partitions come back")
    func batchAcrossRevocation() {
        var state = Self.assigned([Self.p0, Self.p1])
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g), Self.message(Self.p1, 0, generation: g)])
        let batch = state.take(2)
        #expect(state.revokeAll() == [:])
        #expect(state.completed(batch) == [:])
        #expect(state.inFlight == 0)
        #expect(state.processed.isEmpty)

        // Same partitions assigned again: a new generation, the old batch is still stale.
        var again = Self.assigned([Self.p0, Self.p1])
        _ = again.append([Self.message(Self.p0, 0, generation: again.generation)])
        let old = again.take(1)
        _ = again.revokeAll()
        again.assign([Self.p0, Self.p1])
        #expect(again.completed(old) == [:])
        #expect(again.processed.isEmpty)
        // Messages fetched under the old assignment are dropped; new ones are taken.
        _ = again.append([Self.message(Self.p0, 0, generation: g)])
        #expect(again.buffered == 0)
        _ = again.append([Self.message(Self.p0, 0, generation: again.generation)])
        let fresh = again.take(1)
        #expect(again.completed(fresh) == [Self.p0: 1])
    }

    @Test("after revocation nothing is accepted until the next assignment")
    func appendAfterRevoke() {
        var state = Self.assigned()
        _ = state.revokeAll()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g)])
        #expect(state.buffered == 0)
    }

    @Test("a reader waiting across a revocation is woken by data of the next assignment")
    func waiterAcrossRevocation() {
        var state = Self.assigned()
        #expect(state.wait(id: 1, minimum: 1, 99) == nil)
        _ = state.revokeAll()
        state.assign([Self.p0])
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation - 1)]).waiter == nil)
        #expect(state.append([Self.message(Self.p0, 0, generation: state.generation)]).waiter == 99)
    }

    // MARK: Stop

    @Test("stop returns the waiting reader, once")
    func stopWakesWaiter() {
        var state = Self.assigned()
        #expect(state.wait(id: 1, minimum: 1, 77) == nil)
        #expect(state.stop() == 77)
        #expect(state.stopped)
        #expect(state.stop() == nil)
        #expect(state.endWait(id: 1) == nil)
    }

    @Test("stop with nobody waiting returns nil; appends after stop are ignored")
    func appendAfterStop() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 0, generation: g)])
        #expect(state.stop() == nil)
        #expect(state.append([Self.message(Self.p0, 1, generation: g)]).waiter == nil)
        #expect(state.buffered == 1)
        // What was buffered before stopping can still be taken and committed.
        let batch = state.take(10)
        #expect(Self.offsets(batch) == ["\(Self.p0)@0"])
        #expect(state.completed(batch) == [Self.p0: 1])
    }

    // MARK: Re-created topics

    static func message(_ tp: TopicPartition, _ offset: Int64, generation: Int, topicID: String) -> ConsumedMessage {
        ConsumedMessage(
            topic: tp.topic, partition: tp.partition, offset: offset, key: Array("k\(offset)".utf8),
            value: Array("v\(offset)".utf8), headers: [(TopicIdentity.header, Array(topicID.utf8))], generation: generation)
    }

    @Test("a message from another topic id rewinds its partition only, and is dropped with the rest of its partition's round")
    func rewindOnNewTopicID() {
        var state = Self.assigned()
        let g = state.generation
        #expect(state.append([Self.message(Self.p0, 40, generation: g, topicID: "old"), Self.message(Self.p1, 7, generation: g, topicID: "old")]).rewind.isEmpty)
        let (_, rewind) = state.append([
            Self.message(Self.p0, 41, generation: g, topicID: "new"),
            Self.message(Self.p1, 8, generation: g, topicID: "old"),
            Self.message(Self.p0, 42, generation: g, topicID: "new"),
        ])
        #expect(rewind == [Self.p0])
        // p0@41 and p0@42 came from the new log ahead of what it holds below them: dropped.
        #expect(Self.offsets(state.take(10)) == ["\(Self.p0)@40", "\(Self.p1)@7", "\(Self.p1)@8"])
        #expect(state.topicIDs[Self.p0] == "new")
        // After the seek the new log's messages are taken as they come.
        #expect(state.append([Self.message(Self.p0, 0, generation: g, topicID: "new")]).rewind.isEmpty)
        #expect(Self.offsets(state.take(10)) == ["\(Self.p0)@0"])
    }

    @Test("offsets of the replaced log are never committed once the new log was seen")
    func oldLogOffsetsNotCommitted() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 40, generation: g, topicID: "old")])
        let oldBatch = state.take(10)
        _ = state.append([Self.message(Self.p0, 41, generation: g, topicID: "new")])  // rewinds
        #expect(state.completed(oldBatch).isEmpty, "offset 41 of the old log would skip the new log's first 41 events")
        _ = state.append([Self.message(Self.p0, 0, generation: g, topicID: "new"), Self.message(Self.p0, 1, generation: g, topicID: "new")])
        #expect(state.completed(state.take(10)) == [Self.p0: 2])
    }

    @Test("the topic id a partition came from is kept across assignments: a rejoin after a broker restart still rewinds")
    func topicIDSurvivesReassignment() {
        var state = Self.assigned()
        _ = state.append([Self.message(Self.p0, 40, generation: state.generation, topicID: "old")])
        _ = state.revokeAll()
        state.assign([Self.p0])
        #expect(state.append([Self.message(Self.p0, 40, generation: state.generation, topicID: "new")]).rewind == [Self.p0])
    }

    @Test("messages without a topic id (published before the relay set one) never rewind")
    func noTopicIDNoRewind() {
        var state = Self.assigned()
        let g = state.generation
        _ = state.append([Self.message(Self.p0, 40, generation: g, topicID: "old")])
        #expect(state.append([Self.message(Self.p0, 41, generation: g)]).rewind.isEmpty)
        #expect(state.buffered == 2)
    }
}

/// The reader side of `ConsumerCore` around a revocation.
@Suite("Consumer reader across a revocation", .timeLimit(.minutes(1)))
struct ConsumerReaderTests {
    static let tp = TopicPartition("dms.test.events.v1", 0)

    static func message(_ offset: Int64, generation: Int) -> ConsumedMessage {
        ConsumedMessage(topic: tp.topic, partition: tp.partition, offset: offset, key: nil, value: [1], generation: generation)
    }

    @Test("a reader woken by messages that a revocation takes away before it reads them waits again instead of returning an empty batch")
    func emptiedByRevocation() async throws {
        let core = ConsumerCore(groupID: "g", options: KafkaConsumer.Options(), logger: Logger(label: "test"))
        _ = core.assigned([Self.tp])
        let reader = Task { try await core.nextBatch(maxMessages: 10, maxWait: .zero, idleTimeout: nil) }
        // Once the reader waits: messages wake it, a revocation takes them away (in one go on this
        // thread, as librdkafka's poll thread does) before it runs, then new ones come.
        try await eventually("the reader to wait", timeout: .seconds(10), every: .milliseconds(1)) {
            core.hasWaitingReader ? nil : "not yet"
        }
        _ = core.buffer([Self.message(0, generation: core.generation)])
        _ = core.revoked()
        _ = core.assigned([Self.tp])
        _ = core.buffer([Self.message(7, generation: core.generation)])
        let batch = try await reader.value
        #expect(batch.map(\.offset) == [7], "the reader got the messages of the new assignment, not an empty batch")
    }

    @Test("a stopped consumer's reader gets an empty batch")
    func stopped() async throws {
        let core = ConsumerCore(groupID: "g", options: KafkaConsumer.Options(), logger: Logger(label: "test"))
        _ = core.assigned([Self.tp])
        core.stop()
        #expect(try await core.nextBatch(maxMessages: 10, maxWait: .zero, idleTimeout: nil).isEmpty)
    }
}
