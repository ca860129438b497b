import Synchronization
import Testing

@testable import ServiceKit

/// How many waiters got through (a class, so tasks can share it).
final class PassCount: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("Migration gate")
struct MigrationGateTests {
    @Test("waiters pass only once the gate opens; later waiters pass at once")
    func opens() async {
        let gate = MigrationGate()
        let passed = PassCount()
        let waiters = (0..<3).map { _ in
            Task {
                await gate.wait()
                passed.value.add(1, ordering: .relaxed)
            }
        }
        for _ in 0..<200 { await Task.yield() }  // let the waiters run up to the gate
        #expect(passed.value.load(ordering: .relaxed) == 0, "a closed gate lets nobody through")
        gate.open()
        for waiter in waiters { await waiter.value }
        #expect(passed.value.load(ordering: .relaxed) == 3)
        await gate.wait()  // after opening: immediate
    }

    @Test("a cancelled waiter stops waiting without the gate opening")
    func cancellation() async {
        let gate = MigrationGate()
        let waiter = Task { await gate.wait() }
        waiter.cancel()
        await waiter.value
    }
}
