import Contracts
import Foundation
import Logging
import Messaging
import PostgresNIO
import Tabular

/// When and why a change happens: the clock, the warehouse's calendar day and the correlation id
/// its events carry.
struct Cause: Sendable {
    var now: Date
    var correlationID: UUID

    /// The calendar day (UTC, ISO `YYYY-MM-DD`) that decides what has expired.
    var today: String { Cause.isoDay(now) }

    static func isoDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

/// The inventory's errors as problem+json.
enum InventoryError: Error {
    case notFound(String)
    case invalid(String)
    case conflict(String)
}

/// A product and warehouse whose level changed (all lots together).
struct LevelKey: Hashable, Sendable {
    var sku: String
    var warehouse: String
}

/// The inventory's state changes, each on a connection inside the caller's transaction, each
/// returning the events to write to the outbox with it.
struct InventoryStore: Sendable {
    /// Where finished production and supplier deliveries are received when the report does not say.
    var receivingWarehouse: String

    // MARK: Routing a buyer order

    /// Routes a buyer order once: every line reserved FEFO as far as stock allows, the rest made,
    /// bought, or backordered. A second delivery of the same order (or one already cancelled)
    /// changes nothing.
    func route(_ placed: BuyerOrderPlaced, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        let inserted = try await connection.query(
            """
            INSERT INTO orders (id, deal_id, correlation_id, state, partial_shipment_allowed, placed_at, routed_at)
            VALUES (\(placed.orderId), \(placed.dealId), \(cause.correlationID), 'open', false, \(placed.placedAt), \(cause.now))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { return [] }
        guard !placed.lines.isEmpty else { throw EventRejected("buyer order \(placed.orderId) has no lines") }
        let order = OrderRef(id: placed.orderId, dealID: placed.dealId, correlationID: cause.correlationID)

        let skus = Array(Set(placed.lines.map(\.sku))).sorted()
        var products: [String: (sourcing: Sourcing, supplier: String?)] = [:]
        for row in try await connection.query(
            "SELECT sku, sourcing, default_supplier FROM products WHERE sku = ANY(\(skus))", logger: logger
        ).collect() {
            let (sku, sourcing, supplier) = try row.decode((String, String, String?).self)
            products[sku] = (Sourcing(rawValue: sourcing) ?? .stocked, supplier)
        }
        let unknown = skus.filter { products[$0] == nil }
        if !unknown.isEmpty {
            // Retrying cannot make the catalog know them: to the dead-letter topic, named.
            throw EventRejected("buyer order \(placed.orderId) names products the catalog does not know: \(unknown.joined(separator: ", "))")
        }
        if let bad = placed.lines.first(where: { $0.quantity <= 0 }) {
            throw EventRejected("buyer order \(placed.orderId) line \(bad.lineId) has quantity \(bad.quantity)")
        }
        try await connection.query(
            """
            INSERT INTO order_lines (id, order_id, position, sku, quantity)
            SELECT id, \(order.id), n, sku, quantity::numeric
            FROM unnest(\(placed.lines.map(\.lineId))::uuid[], \(placed.lines.map(\.sku))::text[],
                        \(placed.lines.map { "\($0.quantity)" })::text[]) WITH ORDINALITY AS l(id, sku, quantity, n)
            """, logger: logger)

        var candidates = try await lockCandidates(skus: skus, today: cause.today, on: connection, logger: logger)
        var events: [OutboxEvent] = []
        var routed: [RoutedLine] = []
        var touched = Set<LevelKey>()
        var reservedAnything = false
        for line in placed.lines {
            let product = products[line.sku]!
            let allocations = FEFO.allocate(line.quantity, from: candidates[line.sku] ?? [], today: cause.today)
            let reservable = allocations.reduce(Decimal(0)) { $0 + $1.quantity }
            let plan = LineRouting.plan(
                quantity: line.quantity, reservable: reservable, sourcing: product.sourcing, hasSupplier: product.supplier != nil)
            let lineRef = LineRef(order: order, lineID: line.lineId, sku: line.sku)
            if plan.reserve > 0 {
                reservedAnything = true
                events += try await reserve(lineRef, allocations, from: &candidates, cause: cause, touched: &touched, on: connection, logger: logger)
            }
            if plan.produce > 0 {
                events += try await orderSupply(.production, lineRef, quantity: plan.produce, supplier: nil, cause: cause, on: connection, logger: logger)
            }
            if plan.purchase > 0 {
                events += try await orderSupply(.purchase, lineRef, quantity: plan.purchase, supplier: product.supplier, cause: cause, on: connection, logger: logger)
            }
            if plan.backorder > 0 {
                try await connection.query(
                    "UPDATE order_lines SET backordered = \(plan.backorder) WHERE id = \(line.lineId)", logger: logger)
            }
            routed.append(RoutedLine(
                lineId: line.lineId, sku: line.sku, quantity: line.quantity, reserved: plan.reserve, toProduce: plan.produce,
                toPurchase: plan.purchase, backordered: plan.backorder))
        }
        if reservedAnything {
            events += try await issueDocument(.warehouseOrder, order: order, cause: cause, on: connection, logger: logger)
        }
        events.append(try order.event(OrderRouted(orderId: order.id, dealId: order.dealID, lines: routed, routedAt: cause.now), cause))
        events += try await levelEvents(touched, cause: cause, on: connection, logger: logger)
        return events
    }

    // MARK: Cancelling an order (compensation)

    /// Releases what a cancelled order holds and cancels its supply orders that have not started
    /// (planned production, unconfirmed purchases). What is already being made or was confirmed
    /// by the supplier still arrives, into free stock. A cancellation that arrives before its
    /// order leaves a tombstone so the late order is never routed.
    func cancel(_ cancelled: BuyerOrderCancelled, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        let rows = try await connection.query(
            """
            INSERT INTO orders (id, deal_id, correlation_id, state, cancelled_at)
            VALUES (\(cancelled.orderId), \(cancelled.dealId), \(cause.correlationID), 'cancelled', \(cause.now))
            ON CONFLICT (id) DO UPDATE SET state = 'cancelled', cancelled_at = excluded.cancelled_at WHERE orders.state = 'open'
            RETURNING deal_id, correlation_id
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return [] }
        let (dealID, correlationID) = try row.decode((UUID, UUID).self)
        let order = OrderRef(id: cancelled.orderId, dealID: dealID, correlationID: correlationID)
        var events: [OutboxEvent] = []
        var touched = Set<LevelKey>()
        var releasedSKUs = Set<String>()
        for row in try await connection.query(
            """
            UPDATE reservations r SET state = 'released', closed_at = \(cause.now)
            FROM stock_buckets b WHERE r.order_id = \(order.id) AND r.state = 'active' AND b.id = r.bucket_id
            RETURNING r.id, r.line_id, b.sku, b.warehouse_code, r.quantity::text
            """, logger: logger
        ).collect() {
            let (id, lineID, sku, warehouse, quantity) = try row.decode((UUID, UUID, String, String, String).self)
            touched.insert(LevelKey(sku: sku, warehouse: warehouse))
            releasedSKUs.insert(sku)
            events.append(try order.event(ReservationReleased(
                reservationId: id, orderId: order.id, dealId: dealID, lineId: lineID, sku: sku, quantity: decimal(quantity),
                reason: "order cancelled", releasedAt: cause.now), cause))
        }
        for row in try await connection.query(
            """
            UPDATE supply_orders SET state = 'cancelled', updated_at = \(cause.now)
            WHERE order_id = \(order.id) AND state IN ('planned', 'sent')
            RETURNING id, kind, number, line_id, sku, quantity::text
            """, logger: logger
        ).collect() {
            let (id, kind, number, lineID, sku, quantity) = try row.decode((UUID, String, String, UUID, String, String).self)
            events.append(try order.event(SupplyCancelled(
                kind: kind, supplyOrderId: id, number: number, orderId: order.id, dealId: dealID, lineId: lineID, sku: sku,
                quantity: decimal(quantity), cancelledAt: cause.now), cause))
        }
        try await connection.query("UPDATE order_lines SET backordered = 0 WHERE order_id = \(order.id)", logger: logger)
        // What was released may be what another order is waiting for.
        events += try await fillBackorders(skus: releasedSKUs, cause: cause, touched: &touched, on: connection, logger: logger)
        events += try await levelEvents(touched, cause: cause, on: connection, logger: logger)
        return events
    }

    // MARK: Production and supplier orders

    /// The plant's report on a production order: readiness and expected date; at 100 % (or
    /// `done`) the goods are received into the warehouse and reserved for the order line waiting for them.
    func reportProgress(
        _ id: UUID, readiness: Int, expectedOn: String?, receipt: ReceiptDetails, cause: Cause, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (SupplyOrderView, [OutboxEvent]) {
        guard (0...100).contains(readiness) else { throw InventoryError.invalid("readiness is a percentage, 0 to 100") }
        let supply = try await lockSupply(id, kind: .production, on: connection, logger: logger)
        guard supply.state == "planned" || supply.state == "in_progress" else {
            throw InventoryError.conflict("production order \(supply.number) is \(supply.state); progress is reported while planned or in progress")
        }
        guard readiness >= supply.readiness else {
            throw InventoryError.conflict("production order \(supply.number) is already \(supply.readiness)% ready; readiness does not go back")
        }
        let done = readiness == 100
        let state = done ? "done" : (readiness > 0 ? "in_progress" : supply.state)
        try await connection.query(
            """
            UPDATE supply_orders SET readiness = \(readiness), state = \(state),
                expected_on = coalesce(\(expectedOn)::date, expected_on), updated_at = \(cause.now)
            WHERE id = \(id)
            """, logger: logger)
        let order = try await supply.orderRef(on: connection, logger: logger)
        let correlated = Cause(now: cause.now, correlationID: order?.correlationID ?? cause.correlationID)
        var events = [try InventoryEvents.event(ProductionProgressed(
            productionOrderId: id, orderId: supply.orderID, dealId: order?.dealID, lineId: supply.lineID, state: state, readiness: readiness,
            expectedOn: expectedOn ?? supply.expectedOn, reportedAt: cause.now), key: supply.key(order), cause: correlated)]
        if done {
            let warehouse = receipt.warehouse ?? receivingWarehouse
            events += try await receiveSupply(supply, order: order, details: receipt, cause: correlated, on: connection, logger: logger)
            events.append(try InventoryEvents.event(ProductionCompleted(
                productionOrderId: id, orderId: supply.orderID, dealId: order?.dealID, lineId: supply.lineID, sku: supply.sku,
                quantity: supply.quantity, warehouse: warehouse, completedAt: cause.now), key: supply.key(order), cause: correlated))
        }
        return (try await SupplyOrderView.load(id, on: connection, logger: logger)!, events)
    }

    /// The supplier confirmed a supplier order (and may say when it will deliver).
    func confirmPurchase(_ id: UUID, expectedOn: String?, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> (SupplyOrderView, [OutboxEvent]) {
        let supply = try await lockSupply(id, kind: .purchase, on: connection, logger: logger)
        guard supply.state == "sent" || supply.state == "confirmed" else {
            throw InventoryError.conflict("supplier order \(supply.number) is \(supply.state); only a sent order is confirmed")
        }
        try await connection.query(
            """
            UPDATE supply_orders SET state = 'confirmed', expected_on = coalesce(\(expectedOn)::date, expected_on), updated_at = \(cause.now)
            WHERE id = \(id)
            """, logger: logger)
        return (try await SupplyOrderView.load(id, on: connection, logger: logger)!, [])
    }

    /// The supplier's delivery arrived: received into the warehouse, then reserved for the order line waiting for it.
    func receivePurchase(_ id: UUID, receipt: ReceiptDetails, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> (SupplyOrderView, [OutboxEvent]) {
        let supply = try await lockSupply(id, kind: .purchase, on: connection, logger: logger)
        guard supply.state == "sent" || supply.state == "confirmed" else {
            throw InventoryError.conflict("supplier order \(supply.number) is \(supply.state); a delivery is received for a sent or confirmed order")
        }
        try await connection.query(
            "UPDATE supply_orders SET state = 'received', updated_at = \(cause.now) WHERE id = \(id)", logger: logger)
        let order = try await supply.orderRef(on: connection, logger: logger)
        let correlated = Cause(now: cause.now, correlationID: order?.correlationID ?? cause.correlationID)
        let events = try await receiveSupply(supply, order: order, details: receipt, cause: correlated, on: connection, logger: logger)
        return (try await SupplyOrderView.load(id, on: connection, logger: logger)!, events)
    }

    private func receiveSupply(
        _ supply: SupplyRow, order: OrderRef?, details: ReceiptDetails, cause: Cause, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        let warehouse = details.warehouse ?? receivingWarehouse
        var touched = Set<LevelKey>()
        var lot = details.lot
        if lot == nil { lot = try await defaultLot(for: supply, cause: cause, on: connection, logger: logger) }
        let (bucketID, _, receiptEvents) = try await receive(
            sku: supply.sku, warehouse: warehouse, quantity: supply.quantity, lot: lot,
            reason: supply.kind == .production ? "production completed" : "supplier delivery", document: supply.number,
            source: supply.kind == .production ? "production" : "purchase", order: order, lineID: supply.lineID, cause: cause,
            touched: &touched, on: connection, logger: logger)
        var events = receiptEvents
        if let order, let lineID = supply.lineID, try await isOpen(order.id, on: connection, logger: logger) {
            // The goods were made or bought for this line: they are reserved for it as they come in.
            let candidate = StockCandidate(bucketID: bucketID, warehouse: warehouse, lot: lot?.series, expiresOn: lot?.expiresOn,
                                           firstReceivedAt: cause.now, available: supply.quantity)
            var pool = [supply.sku: [candidate]]
            events += try await reserve(
                LineRef(order: order, lineID: lineID, sku: supply.sku), [Allocation(bucketID: bucketID, quantity: supply.quantity)],
                from: &pool, cause: cause, touched: &touched, on: connection, logger: logger)
        } else {
            events += try await fillBackorders(skus: [supply.sku], cause: cause, touched: &touched, on: connection, logger: logger)
        }
        events += try await levelEvents(touched, cause: cause, on: connection, logger: logger)
        return events
    }

    /// A lot-tracked product made or bought without a series named gets the supply order's
    /// number as its series, produced today and expiring after its shelf life.
    private func defaultLot(for supply: SupplyRow, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> LotDetails? {
        let rows = try await connection.query(
            "SELECT lot_tracked, shelf_life_days FROM products WHERE sku = \(supply.sku)", logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (tracked, shelfLife) = try row.decode((Bool, Int?).self)
        guard tracked else { return nil }
        let expires = shelfLife.map { Cause.isoDay(cause.now.addingTimeInterval(Double($0) * 86_400)) }
        return LotDetails(series: supply.number, producedOn: cause.today, expiresOn: expires)
    }

    // MARK: Receipts, adjustments, transfers

    /// Goods into a warehouse: a receipt movement (creating the lot if new). Returns the bucket
    /// it landed in and the lot.
    func receive(
        sku: String, warehouse: String, quantity: Decimal, lot: LotDetails?, reason: String, document: String?, source: String,
        order: OrderRef?, lineID: UUID?, cause: Cause, touched: inout Set<LevelKey>, on connection: PostgresConnection, logger: Logger
    ) async throws -> (bucketID: Int64, lot: LotDetails?, events: [OutboxEvent]) {
        guard quantity > 0 else { throw InventoryError.invalid("a receipt brings a positive quantity") }
        let lotID = try await lotID(sku: sku, lot: lot, on: connection, logger: logger)
        try await connection.query(
            """
            INSERT INTO stock_movements (id, kind, sku, warehouse_code, lot_id, quantity, reason, document, occurred_at)
            VALUES (\(UUID()), 'receipt', \(sku), \(warehouse), \(lotID), \(quantity), \(reason), \(document), \(cause.now))
            """, logger: logger)
        let bucket = try await connection.query(
            "SELECT id FROM stock_buckets WHERE sku = \(sku) AND warehouse_code = \(warehouse) AND lot_id IS NOT DISTINCT FROM \(lotID)",
            logger: logger
        ).collect()
        guard let bucketID = try bucket.first?.decode(Int64.self) else { throw InventoryError.conflict("no balance for \(sku) in \(warehouse)") }
        touched.insert(LevelKey(sku: sku, warehouse: warehouse))
        let event = GoodsReceived(
            sku: sku, warehouse: warehouse, lot: lot?.series, quantity: quantity, source: source, document: document, orderId: order?.id,
            dealId: order?.dealID, lineId: lineID, receivedAt: cause.now)
        let key = order?.dealID.uuidString.lowercased() ?? sku
        return (bucketID, lot, [try InventoryEvents.event(event, key: key, cause: cause)])
    }

    /// A movement posted by a person: a receipt (then waiting orders are served), a signed
    /// adjustment (stock count), or a transfer between warehouses (out of one, into the other).
    func post(_ movement: MovementBody, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        var touched = Set<LevelKey>()
        var events: [OutboxEvent] = []
        let lot = movement.lot.map { LotDetails(series: $0, producedOn: movement.producedOn, expiresOn: movement.expiresOn) }
        switch movement.kind {
        case .receipt:
            events += try await receive(
                sku: movement.sku, warehouse: movement.warehouse, quantity: movement.quantity, lot: lot, reason: movement.reason,
                document: movement.document, source: "manual", order: nil, lineID: nil, cause: cause, touched: &touched, on: connection,
                logger: logger
            ).events
            events += try await fillBackorders(skus: [movement.sku], cause: cause, touched: &touched, on: connection, logger: logger)
        case .adjustment:
            guard movement.quantity != 0 else { throw InventoryError.invalid("an adjustment changes the quantity: it is not 0") }
            let lotID = try await lotID(sku: movement.sku, lot: lot, on: connection, logger: logger)
            try await insertMovement("adjustment", movement.sku, movement.warehouse, lotID, movement.quantity, movement, cause, connection, logger)
            touched.insert(LevelKey(sku: movement.sku, warehouse: movement.warehouse))
        case .transfer:
            guard let target = movement.toWarehouse, target != movement.warehouse else {
                throw InventoryError.invalid("a transfer names toWarehouse, different from warehouse")
            }
            guard movement.quantity > 0 else { throw InventoryError.invalid("a transfer moves a positive quantity") }
            let lotID = try await lotID(sku: movement.sku, lot: lot, on: connection, logger: logger)
            try await insertMovement("transfer_out", movement.sku, movement.warehouse, lotID, -movement.quantity, movement, cause, connection, logger)
            try await insertMovement("transfer_in", movement.sku, target, lotID, movement.quantity, movement, cause, connection, logger)
            touched.insert(LevelKey(sku: movement.sku, warehouse: movement.warehouse))
            touched.insert(LevelKey(sku: movement.sku, warehouse: target))
        }
        events += try await levelEvents(touched, cause: cause, on: connection, logger: logger)
        return events
    }

    private func insertMovement(
        _ kind: String, _ sku: String, _ warehouse: String, _ lotID: UUID?, _ quantity: Decimal, _ movement: MovementBody, _ cause: Cause,
        _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO stock_movements (id, kind, sku, warehouse_code, lot_id, quantity, reason, document, occurred_at)
            VALUES (\(UUID()), \(kind), \(sku), \(warehouse), \(lotID), \(quantity), \(movement.reason), \(movement.document), \(cause.now))
            """, logger: logger)
    }

    /// The lot's id, created on first receipt. A lot-tracked product needs a series; another must not have one.
    private func lotID(sku: String, lot: LotDetails?, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query("SELECT lot_tracked FROM products WHERE sku = \(sku)", logger: logger).collect()
        guard let tracked = try rows.first?.decode(Bool.self) else { throw InventoryError.notFound("no product \(sku) in the catalog") }
        guard let lot else {
            if tracked { throw InventoryError.invalid("\(sku) is tracked by lot: name the lot (series)") }
            return nil
        }
        guard tracked else { throw InventoryError.invalid("\(sku) is not tracked by lot; leave the lot out") }
        let id = try await connection.query(
            """
            INSERT INTO lots (id, sku, series, produced_on, expires_on)
            VALUES (\(UUID()), \(sku), \(lot.series), \(lot.producedOn)::date, \(lot.expiresOn)::date)
            ON CONFLICT (sku, series) DO UPDATE SET produced_on = coalesce(lots.produced_on, excluded.produced_on),
                expires_on = coalesce(lots.expires_on, excluded.expires_on)
            RETURNING id
            """, logger: logger
        ).collect()
        return try id.first?.decode(UUID.self)
    }

    // MARK: Shipments

    /// Issues what is reserved for an order from the warehouse under a numbered shipment note.
    /// Unless the order allows partial shipment (or `partial` is asked), every line must be fully
    /// reserved; the 409 names the lines that are not.
    func ship(orderID: UUID, partial: Bool, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> (ShipmentView, [OutboxEvent]) {
        let rows = try await connection.query(
            "SELECT deal_id, correlation_id, state, partial_shipment_allowed FROM orders WHERE id = \(orderID) FOR UPDATE", logger: logger
        ).collect()
        guard let row = rows.first else { throw InventoryError.notFound("no order \(orderID)") }
        let (dealID, correlationID, state, partialAllowed) = try row.decode((UUID, UUID, String, Bool).self)
        guard state == "open" else { throw InventoryError.conflict("order \(orderID) is \(state); only an open order ships") }
        let order = OrderRef(id: orderID, dealID: dealID, correlationID: correlationID)
        let correlated = Cause(now: cause.now, correlationID: correlationID)
        let progress = try await OrderView.lines(of: orderID, on: connection, logger: logger)
        if !(partial || partialAllowed) {
            let waiting = progress.filter { !$0.progress.readyToShip && $0.progress.shipped < $0.progress.quantity }
            if !waiting.isEmpty {
                throw InventoryError.conflict(
                    "not every line is reserved in the warehouse: "
                        + waiting.map { "\($0.sku) (\($0.progress.state.rawValue), \($0.progress.reserved + $0.progress.shipped) of \($0.progress.quantity))" }
                        .joined(separator: ", "))
            }
        }
        let shipmentID = UUID()
        let number = try await nextNumber(.shipmentNote, cause: cause, on: connection, logger: logger)
        let reservations = try await connection.query(
            """
            UPDATE reservations r SET state = 'shipped', closed_at = \(cause.now)
            FROM stock_buckets b LEFT JOIN lots l ON l.id = b.lot_id
            WHERE r.order_id = \(orderID) AND r.state = 'active' AND b.id = r.bucket_id
            RETURNING r.id, r.line_id, b.sku, b.warehouse_code, b.lot_id, l.series, r.quantity::text
            """, logger: logger
        ).collect()
        guard !reservations.isEmpty else { throw InventoryError.conflict("nothing is reserved for order \(orderID) yet") }
        var lines: [ShippedLine] = []
        var touched = Set<LevelKey>()
        var ids: [UUID] = [], lineIDs: [UUID] = [], skus: [String] = [], warehouses: [String] = [], lots: [UUID?] = [], series: [String?] = [],
            quantities: [String] = []
        for row in reservations {
            let (id, lineID, sku, warehouse, lotID, lot, quantity) = try row.decode((UUID, UUID, String, String, UUID?, String?, String).self)
            ids.append(id); lineIDs.append(lineID); skus.append(sku); warehouses.append(warehouse); lots.append(lotID); series.append(lot)
            quantities.append(quantity)
            lines.append(ShippedLine(lineId: lineID, sku: sku, warehouse: warehouse, lot: lot, quantity: decimal(quantity)))
            touched.insert(LevelKey(sku: sku, warehouse: warehouse))
        }
        try await connection.query(
            """
            WITH issued AS (
                INSERT INTO stock_movements (id, kind, sku, warehouse_code, lot_id, quantity, reason, document, occurred_at)
                SELECT gen_random_uuid(), 'issue', sku, warehouse, lot, -quantity::numeric, 'shipment', \(number), \(cause.now)
                FROM unnest(\(skus)::text[], \(warehouses)::text[], \(lots.map { $0?.uuidString ?? "" })::text[], \(quantities)::text[])
                    AS s(sku, warehouse, lot_text, quantity), LATERAL (SELECT nullif(lot_text, '')::uuid AS lot) l
            ), shipped_lines AS (
                UPDATE order_lines l SET shipped = l.shipped + s.quantity
                FROM (SELECT line, sum(quantity::numeric) AS quantity FROM unnest(\(lineIDs)::uuid[], \(quantities)::text[]) AS x(line, quantity) GROUP BY line) s
                WHERE l.id = s.line
            )
            INSERT INTO shipments (id, number, order_id, deal_id, order_complete, shipped_at)
            VALUES (\(shipmentID), \(number), \(orderID), \(dealID), false, \(cause.now))
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO shipment_lines (shipment_id, reservation_id, line_id, sku, warehouse_code, lot_series, quantity)
            SELECT \(shipmentID), id, line, sku, warehouse, nullif(lot, ''), quantity::numeric
            FROM unnest(\(ids)::uuid[], \(lineIDs)::uuid[], \(skus)::text[], \(warehouses)::text[], \(series.map { $0 ?? "" })::text[], \(quantities)::text[])
                AS s(id, line, sku, warehouse, lot, quantity)
            """, logger: logger)
        let complete = try await connection.query(
            "SELECT bool_and(shipped >= quantity) FROM order_lines WHERE order_id = \(orderID)", logger: logger
        ).collect().first?.decode(Bool.self) ?? false
        if complete {
            try await connection.query("UPDATE orders SET state = 'shipped' WHERE id = \(orderID)", logger: logger)
            try await connection.query("UPDATE shipments SET order_complete = true WHERE id = \(shipmentID)", logger: logger)
        }
        try await connection.query(
            "INSERT INTO documents (number, kind, order_id, deal_id, issued_at) VALUES (\(number), 'shipment_note', \(orderID), \(dealID), \(cause.now))",
            logger: logger)
        var events = [try order.event(Shipped(
            shipmentId: shipmentID, number: number, orderId: orderID, dealId: dealID, lines: lines, orderComplete: complete, shippedAt: cause.now), correlated)]
        events.append(try order.event(InventoryDocumentIssued(
            kind: DocumentKind.shipmentNote.rawValue, number: number, orderId: orderID, dealId: dealID, href: "/v1/documents/\(number)",
            issuedAt: cause.now), correlated))
        events += try await levelEvents(touched, cause: correlated, on: connection, logger: logger)
        return (ShipmentView(id: shipmentID, number: number, orderId: orderID, dealId: dealID, orderComplete: complete, shippedAt: cause.now, lines: lines), events)
    }

    // MARK: Shared steps

    /// Available stock of these products, locked (in bucket id order, so concurrent orders never
    /// deadlock) until the transaction ends: what one order reserves, no other can.
    func lockCandidates(skus: [String], today: String, on connection: PostgresConnection, logger: Logger) async throws -> [String: [StockCandidate]] {
        var candidates: [String: [StockCandidate]] = [:]
        for row in try await connection.query(
            """
            SELECT b.id, b.sku, b.warehouse_code, l.series, l.expires_on::text, b.first_received_at, (b.on_hand - b.reserved)::text
            FROM stock_buckets b LEFT JOIN lots l ON l.id = b.lot_id
            WHERE b.sku = ANY(\(skus)) AND b.on_hand > b.reserved AND (l.expires_on IS NULL OR l.expires_on >= \(today)::date)
            ORDER BY b.id FOR UPDATE OF b
            """, logger: logger
        ).collect() {
            let (id, sku, warehouse, series, expires, received, available) = try row.decode((Int64, String, String, String?, String?, Date, String).self)
            candidates[sku, default: []].append(StockCandidate(
                bucketID: id, warehouse: warehouse, lot: series, expiresOn: expires, firstReceivedAt: received, available: decimal(available)))
        }
        return candidates
    }

    /// Writes reservations for a line and takes them out of `pool`, so the next line of the same
    /// transaction does not count them again.
    private func reserve(
        _ line: LineRef, _ allocations: [Allocation], from pool: inout [String: [StockCandidate]], cause: Cause, touched: inout Set<LevelKey>,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        guard !allocations.isEmpty else { return [] }
        var ids: [UUID] = [], buckets: [Int64] = [], quantities: [String] = []
        var events: [OutboxEvent] = []
        for allocation in allocations {
            let id = UUID()
            ids.append(id); buckets.append(allocation.bucketID); quantities.append("\(allocation.quantity)")
            let candidate = pool[line.sku]?.first { $0.bucketID == allocation.bucketID }
            if let index = pool[line.sku]?.firstIndex(where: { $0.bucketID == allocation.bucketID }) {
                pool[line.sku]![index].available -= allocation.quantity
            }
            let warehouse = candidate?.warehouse ?? receivingWarehouse
            touched.insert(LevelKey(sku: line.sku, warehouse: warehouse))
            events.append(try line.order.event(StockReserved(
                reservationId: id, orderId: line.order.id, dealId: line.order.dealID, lineId: line.lineID, sku: line.sku, warehouse: warehouse,
                lot: candidate?.lot, quantity: allocation.quantity, reservedAt: cause.now), cause))
        }
        try await connection.query(
            """
            INSERT INTO reservations (id, order_id, line_id, bucket_id, quantity, created_at)
            SELECT id, \(line.order.id), \(line.lineID), bucket, quantity::numeric, \(cause.now)
            FROM unnest(\(ids)::uuid[], \(buckets)::bigint[], \(quantities)::text[]) AS r(id, bucket, quantity)
            """, logger: logger)
        return events
    }

    /// Serves lines waiting for stock of these products (oldest order first) from what is available now.
    func fillBackorders(
        skus: Set<String>, cause: Cause, touched: inout Set<LevelKey>, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        guard !skus.isEmpty else { return [] }
        let waiting = try await connection.query(
            """
            SELECT l.id, l.order_id, o.deal_id, o.correlation_id, l.sku, l.backordered::text
            FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE l.sku = ANY(\(Array(skus))) AND l.backordered > 0 AND o.state = 'open'
            ORDER BY o.placed_at, l.position FOR UPDATE OF l
            """, logger: logger
        ).collect()
        guard !waiting.isEmpty else { return [] }
        var pool = try await lockCandidates(skus: Array(skus).sorted(), today: cause.today, on: connection, logger: logger)
        var events: [OutboxEvent] = []
        for row in waiting {
            let (lineID, orderID, dealID, correlationID, sku, backordered) = try row.decode((UUID, UUID, UUID, UUID, String, String).self)
            let allocations = FEFO.allocate(decimal(backordered), from: pool[sku] ?? [], today: cause.today)
            let taken = allocations.reduce(Decimal(0)) { $0 + $1.quantity }
            guard taken > 0 else { continue }
            let order = OrderRef(id: orderID, dealID: dealID, correlationID: correlationID)
            events += try await reserve(
                LineRef(order: order, lineID: lineID, sku: sku), allocations, from: &pool,
                cause: Cause(now: cause.now, correlationID: correlationID), touched: &touched, on: connection, logger: logger)
            try await connection.query("UPDATE order_lines SET backordered = backordered - \(taken) WHERE id = \(lineID)", logger: logger)
        }
        return events
    }

    private func orderSupply(
        _ kind: SupplyKind, _ line: LineRef, quantity: Decimal, supplier: String?, cause: Cause, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxEvent] {
        let id = UUID()
        let documentKind: DocumentKind = kind == .production ? .productionOrder : .supplierOrder
        let number = try await nextNumber(documentKind, cause: cause, on: connection, logger: logger)
        try await connection.query(
            """
            WITH document AS (
                INSERT INTO documents (number, kind, order_id, deal_id, issued_at)
                VALUES (\(number), \(documentKind.rawValue), \(line.order.id), \(line.order.dealID), \(cause.now))
            )
            INSERT INTO supply_orders (id, kind, number, order_id, line_id, sku, quantity, supplier, state, created_at, updated_at)
            VALUES (\(id), \(kind.rawValue), \(number), \(line.order.id), \(line.lineID), \(line.sku), \(quantity), \(supplier),
                    \(kind == .production ? "planned" : "sent"), \(cause.now), \(cause.now))
            """, logger: logger)
        let ordered: OutboxEvent =
            switch kind {
            case .production:
                try line.order.event(ProductionOrdered(
                    productionOrderId: id, number: number, orderId: line.order.id, dealId: line.order.dealID, lineId: line.lineID, sku: line.sku,
                    quantity: quantity, orderedAt: cause.now), cause)
            case .purchase:
                try line.order.event(PurchaseOrdered(
                    purchaseOrderId: id, number: number, supplier: supplier ?? "", orderId: line.order.id, dealId: line.order.dealID,
                    lineId: line.lineID, sku: line.sku, quantity: quantity, orderedAt: cause.now), cause)
            }
        let path = kind == .production ? "production-orders" : "supplier-orders"
        return [ordered, try line.order.event(InventoryDocumentIssued(
            kind: documentKind.rawValue, number: number, orderId: line.order.id, dealId: line.order.dealID, href: "/v1/\(path)/\(id.uuidString.lowercased())",
            issuedAt: cause.now), cause)]
    }

    private func issueDocument(_ kind: DocumentKind, order: OrderRef, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        let number = try await nextNumber(kind, cause: cause, on: connection, logger: logger)
        try await connection.query(
            "INSERT INTO documents (number, kind, order_id, deal_id, issued_at) VALUES (\(number), \(kind.rawValue), \(order.id), \(order.dealID), \(cause.now))",
            logger: logger)
        return [try order.event(InventoryDocumentIssued(
            kind: kind.rawValue, number: number, orderId: order.id, dealId: order.dealID, href: "/v1/documents/\(number)", issuedAt: cause.now), cause)]
    }

    /// `WO-2026-000042`: the kind's prefix, the year, and the kind's sequence.
    private func nextNumber(_ kind: DocumentKind, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let value = try await connection.query("SELECT nextval(\(kind.sequence)::regclass)", logger: logger).collect().first!.decode(Int64.self)
        return "\(kind.prefix)-\(cause.today.prefix(4))-\(String(format: "%06lld", value))"
    }

    /// One `StockLevelChanged` per product and warehouse whose level changed.
    func levelEvents(_ touched: Set<LevelKey>, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxEvent] {
        guard !touched.isEmpty else { return [] }
        let keys = touched.sorted { ($0.sku, $0.warehouse) < ($1.sku, $1.warehouse) }
        var events: [OutboxEvent] = []
        for row in try await connection.query(
            """
            SELECT k.sku, k.warehouse, coalesce(sum(b.on_hand), 0)::text, coalesce(sum(b.reserved), 0)::text
            FROM unnest(\(keys.map(\.sku))::text[], \(keys.map(\.warehouse))::text[]) AS k(sku, warehouse)
            LEFT JOIN stock_buckets b ON b.sku = k.sku AND b.warehouse_code = k.warehouse
            GROUP BY k.sku, k.warehouse ORDER BY k.sku, k.warehouse
            """, logger: logger
        ).collect() {
            let (sku, warehouse, onHand, reserved) = try row.decode((String, String, String, String).self)
            let level = StockLevelChanged(
                sku: sku, warehouse: warehouse, onHand: decimal(onHand), reserved: decimal(reserved), available: decimal(onHand) - decimal(reserved),
                changedAt: cause.now)
            events.append(try InventoryEvents.event(level, key: sku, cause: cause))
        }
        return events
    }

    /// `StockLevelChanged` for every (sku, warehouse) in a staging table, written to the outbox by
    /// one statement (a 20,000-row import would otherwise build 20,000 envelopes in Swift). The
    /// JSON is the envelope's wire form; `RoutingTests.importAllOrNothing` reads it back with
    /// `EventEnvelope.decode` and `payload(as: StockLevelChanged.self)`.
    func writeLevelEvents(ofKeysIn stagingTable: String, cause: Cause, on connection: PostgresConnection, logger: Logger) async throws {
        let at = Timestamp.format(cause.now)
        // `stagingTable` is a name this module passes, never input.
        try await connection.query(
            """
            INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
            SELECT l.id, \(Topic.inventoryEvents), l.sku, \(StockLevelChanged.eventType),
                json_build_object(
                    'id', l.id, 'type', \(StockLevelChanged.eventType), 'version', \(StockLevelChanged.eventVersion), 'occurredAt', \(at),
                    'source', \(ServiceName.inventory.rawValue), 'key', l.sku, 'correlationId', \(cause.correlationID),
                    'payload', json_build_object(
                        'sku', l.sku, 'warehouse', l.warehouse, 'onHand', l.on_hand, 'reserved', l.reserved,
                        'available', l.on_hand - l.reserved, 'changedAt', \(at)))::text
            FROM (
                -- gen_random_uuid() in the select list: evaluated once per row.
                SELECT gen_random_uuid() AS id, b.sku, b.warehouse_code AS warehouse, sum(b.on_hand) AS on_hand, sum(b.reserved) AS reserved
                FROM stock_buckets b JOIN (SELECT DISTINCT sku, warehouse FROM \(unescaped: stagingTable)) k
                    ON k.sku = b.sku AND k.warehouse = b.warehouse_code
                GROUP BY b.sku, b.warehouse_code ORDER BY b.sku, b.warehouse_code
            ) l
            """, logger: logger)
    }

    private func isOpen(_ orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.query("SELECT state FROM orders WHERE id = \(orderID)", logger: logger).collect().first?.decode(String.self) == "open"
    }

    private func lockSupply(_ id: UUID, kind: SupplyKind, on connection: PostgresConnection, logger: Logger) async throws -> SupplyRow {
        let rows = try await connection.query(
            """
            SELECT number, order_id, line_id, sku, quantity::text, state, readiness, expected_on::text
            FROM supply_orders WHERE id = \(id) AND kind = \(kind.rawValue) FOR UPDATE
            """, logger: logger
        ).collect()
        guard let row = rows.first else {
            throw InventoryError.notFound("no \(kind == .production ? "production" : "supplier") order \(id)")
        }
        let (number, orderID, lineID, sku, quantity, state, readiness, expected) = try row.decode(
            (String, UUID?, UUID?, String, String, String, Int, String?).self)
        return SupplyRow(
            id: id, kind: kind, number: number, orderID: orderID, lineID: lineID, sku: sku, quantity: decimal(quantity), state: state,
            readiness: readiness, expectedOn: expected)
    }
}

// MARK: Small values

/// A buyer order as events name it.
struct OrderRef: Sendable {
    var id: UUID
    var dealID: UUID
    var correlationID: UUID

    /// An event about this order, keyed by its deal.
    func event<P: EventPayload>(_ payload: P, _ cause: Cause) throws -> OutboxEvent {
        try InventoryEvents.event(payload, key: dealID.uuidString.lowercased(), cause: Cause(now: cause.now, correlationID: correlationID))
    }
}

struct LineRef: Sendable {
    var order: OrderRef
    var lineID: UUID
    var sku: String
}

struct LotDetails: Sendable, Equatable {
    var series: String
    var producedOn: String?
    var expiresOn: String?
}

/// Where received goods go and under which lot, when the report says.
struct ReceiptDetails: Sendable {
    var warehouse: String?
    var lot: LotDetails?
}

enum SupplyKind: String, Sendable {
    case production, purchase
}

struct SupplyRow: Sendable {
    var id: UUID
    var kind: SupplyKind
    var number: String
    var orderID: UUID?
    var lineID: UUID?
    var sku: String
    var quantity: Decimal
    var state: String
    var readiness: Int
    var expectedOn: String?

    func orderRef(on connection: PostgresConnection, logger: Logger) async throws -> OrderRef? {
        guard let orderID else { return nil }
        let rows = try await connection.query("SELECT deal_id, correlation_id FROM orders WHERE id = \(orderID)", logger: logger).collect()
        guard let row = rows.first else { return nil }
        let (dealID, correlationID) = try row.decode((UUID, UUID).self)
        return OrderRef(id: orderID, dealID: dealID, correlationID: correlationID)
    }

    func key(_ order: OrderRef?) -> String { order?.dealID.uuidString.lowercased() ?? sku }
}

enum DocumentKind: String, Sendable, CaseIterable {
    case warehouseOrder = "warehouse_order"
    case productionOrder = "production_order"
    case supplierOrder = "supplier_order"
    case shipmentNote = "shipment_note"

    var prefix: String {
        switch self {
        case .warehouseOrder: "WO"
        case .productionOrder: "PR"
        case .supplierOrder: "PO"
        case .shipmentNote: "SN"
        }
    }

    var sequence: String { "document_number_" + rawValue }
}

enum InventoryEvents {
    static func event<P: EventPayload>(_ payload: P, key: String, cause: Cause) throws -> OutboxEvent {
        let envelope = try EventEnvelope(
            occurredAt: cause.now, source: ServiceName.inventory.rawValue, key: key, correlationId: cause.correlationID, payload: payload)
        return OutboxEvent(topic: Topic.inventoryEvents, envelope: envelope)
    }
}

