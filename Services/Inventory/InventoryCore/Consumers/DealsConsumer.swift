import Contracts
import Foundation
import Messaging

/// Applies what deals publishes: a placed buyer order is routed (reserved, made, bought) once;
/// a cancelled one is compensated (reservations released, unstarted supply cancelled).
struct DealsConsumer: InboxHandler {
    let store: InventoryStore
    let clock: @Sendable () -> Date

    static let registry = EventRegistry([BuyerOrderPlaced.self, BuyerOrderCancelled.self])

    func apply(_ event: InboxEvent, in transaction: InboxTransaction) async throws {
        let cause = Cause(now: clock(), correlationID: event.envelope.correlationId)
        switch event.payload {
        case let placed as BuyerOrderPlaced:
            try await transaction.emit(try await store.route(placed, cause: cause, on: transaction.connection, logger: transaction.logger))
        case let cancelled as BuyerOrderCancelled:
            try await transaction.emit(try await store.cancel(cancelled, cause: cause, on: transaction.connection, logger: transaction.logger))
        default:
            return
        }
    }
}
