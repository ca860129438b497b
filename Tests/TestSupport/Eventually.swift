import Foundation

/// The condition did not hold before the deadline.
public struct ConditionTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var last: String
    public var description: String { "timed out waiting for \(what); last seen: \(last)" }
}

/// Polls `condition` until it returns nil (met) or the deadline passes; the condition returns a
/// description of what it saw when not yet met.
public func eventually(
    _ what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(200),
    _ condition: () async throws -> String?
) async throws {
    let deadline = ContinuousClock.now + timeout
    var last = "nothing yet"
    while true {
        do {
            guard let seen = try await condition() else { return }
            last = seen
        } catch {
            last = "\(error)"
        }
        if ContinuousClock.now >= deadline { throw ConditionTimedOut(what: what, last: last) }
        try await Task.sleep(for: interval)
    }
}
