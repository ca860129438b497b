import Synchronization
import Testing

@testable import Messaging

/// A flag set by one task and polled by another.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Yields until `flag` is set or the deadline passes (no sleeping: the project's rule for tests).
private func spin(until flag: Flag, deadline: ContinuousClock.Instant) async {
    while !flag.isSet && ContinuousClock.now < deadline { await Task.yield() }
}

@Suite("Doorbell")
struct DoorbellTests {
    /// Long enough that returning "at once" cannot be the timer.
    static let long = Duration.seconds(60)
    /// Generous bound for "at once" on a loaded CI machine, far below `long`.
    static let prompt = Duration.seconds(10)

    @Test("a ring before the wait makes the next wait return at once")
    func ringBeforeWait() async {
        let bell = Doorbell()
        bell.ring()
        let elapsed = await ContinuousClock().measure { await bell.wait(timeout: Self.long) }
        #expect(elapsed < Self.prompt)
    }

    @Test("a remembered ring is used up by one wait; several rings are one")
    func ringIsRememberedOnce() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        bell.ring()
        let first = await ContinuousClock().measure { await bell.wait(timeout: Self.long) }
        #expect(first < Self.prompt)
        let timeout = Duration.milliseconds(300)
        let second = await ContinuousClock().measure { await bell.wait(timeout: timeout) }
        #expect(second >= timeout - .milliseconds(20), "the second wait returned early: \(second)")
        #expect(second < timeout + Self.prompt)
    }

    @Test("a wait with no ring returns after its timeout")
    func timeout() async {
        let bell = Doorbell()
        let timeout = Duration.milliseconds(250)
        let elapsed = await ContinuousClock().measure { await bell.wait(timeout: timeout) }
        #expect(elapsed >= timeout - .milliseconds(20), "returned before the timeout: \(elapsed)")
        #expect(elapsed < timeout + Self.prompt)
    }

    @Test("a zero timeout returns")
    func zeroTimeout() async {
        let bell = Doorbell()
        let elapsed = await ContinuousClock().measure { await bell.wait(timeout: .zero) }
        #expect(elapsed < Self.prompt)
    }

    @Test("timers of earlier waits do not end a later wait early")
    func staleTimers() async {
        let bell = Doorbell()
        for _ in 0..<5 { await bell.wait(timeout: .milliseconds(10)) }
        bell.ring()
        await bell.wait(timeout: Self.long)  // ended by the ring; its timer is cancelled
        let timeout = Duration.milliseconds(300)
        let elapsed = await ContinuousClock().measure { await bell.wait(timeout: timeout) }
        #expect(elapsed >= timeout - .milliseconds(20), "returned before the timeout: \(elapsed)")
    }

    @Test("a ring during a wait wakes it long before its timeout")
    func ringDuringWait() async {
        let bell = Doorbell()
        let started = Flag()
        let finished = Flag()
        let clock = ContinuousClock()
        let start = clock.now
        let waiter = Task {
            started.set()
            await bell.wait(timeout: Self.long)
            finished.set()
        }
        let deadline = start + Self.prompt
        await spin(until: started, deadline: deadline)
        #expect(started.isSet)
        // Ring until the waiter is done; whether a ring lands before or during the wait, it wakes it.
        while !finished.isSet && clock.now < deadline {
            bell.ring()
            await Task.yield()
        }
        await waiter.value
        #expect(finished.isSet)
        #expect(clock.now - start < Self.prompt)
    }

    @Test("a single ring is never lost, wherever it lands relative to the wait")
    func singleRingRaces() async {
        let bell = Doorbell()
        let start = ContinuousClock.now
        for _ in 0..<300 {
            let started = Flag()
            let waiter = Task {
                started.set()
                await bell.wait(timeout: Self.long)
            }
            await spin(until: started, deadline: ContinuousClock.now + Self.prompt)
            bell.ring()
            await waiter.value
            if ContinuousClock.now - start > Self.prompt * 3 { break }
        }
        #expect(ContinuousClock.now - start < Self.prompt * 3)
    }

    @Test("cancellation ends a wait")
    func cancellationEndsWait() async {
        let bell = Doorbell()
        let started = Flag()
        let clock = ContinuousClock()
        let start = clock.now
        let waiter = Task {
            started.set()
            await bell.wait(timeout: Self.long)
        }
        await spin(until: started, deadline: start + Self.prompt)
        waiter.cancel()
        await waiter.value
        #expect(clock.now - start < Self.prompt)
    }

    @Test("a wait in an already cancelled task returns at once")
    func alreadyCancelled() async {
        let bell = Doorbell()
        let clock = ContinuousClock()
        let start = clock.now
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await bell.wait(timeout: Self.long)
        }
        await waiter.value
        #expect(clock.now - start < Self.prompt)
    }

    @Test("cancellation wherever it lands ends the wait, and the bell keeps working afterwards")
    func cancellationRaces() async {
        let bell = Doorbell()
        let start = ContinuousClock.now
        for round in 0..<300 {
            let started = Flag()
            let waiter = Task {
                started.set()
                await bell.wait(timeout: Self.long)
            }
            if round % 2 == 0 { await spin(until: started, deadline: ContinuousClock.now + Self.prompt) }
            waiter.cancel()
            await waiter.value
            if ContinuousClock.now - start > Self.prompt * 3 { break }
        }
        #expect(ContinuousClock.now - start < Self.prompt * 3)

        // A later wait still times out normally, and a ring still wakes one.
        let timeout = Duration.milliseconds(200)
        let elapsed = await ContinuousClock().measure { await bell.wait(timeout: timeout) }
        #expect(elapsed >= timeout - .milliseconds(20), "returned before the timeout: \(elapsed)")
        bell.ring()
        let woken = await ContinuousClock().measure { await bell.wait(timeout: Self.long) }
        #expect(woken < Self.prompt)
    }
}
