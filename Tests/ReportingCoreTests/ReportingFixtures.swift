import Contracts
import Foundation

// Shared by the read-model tests: events as the projections receive them, fixed instants and ids.

/// One event as a read model receives it: the payload and its envelope's `occurredAt`.
struct Fed: Sendable {
    var payload: any EventPayload
    var occurredAt: Date
}

/// An instant from its ISO 8601 text (tests only: a typo stops the test run at once).
func at(_ iso: String) -> Date {
    guard let date = Timestamp.parse(iso) else { fatalError("not an ISO 8601 instant: \(iso)") }
    return date
}

/// A readable fixed id, `00000000-0000-0000-000<kind>-<n>`: each suite says what its kinds are.
func id(_ kind: Int, _ n: Int) -> UUID {
    UUID(uuidString: "00000000-0000-0000-000\(kind)-" + String(repeating: "0", count: 12 - String(n).count) + String(n))!
}
