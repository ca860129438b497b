import Foundation
import Testing
import TestSupport

@testable import InventoryCore

/// A decimal from its text, so no binary floating-point rounding ever gets in.
private func d(_ text: String) -> Decimal {
    guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
        fatalError("not a decimal: \(text)")
    }
    return value
}

/// The hundredths `n` as a decimal (`250` is 2.50), built from text like `d`.
private func hundredths(_ n: Int) -> Decimal {
    let sign = n < 0 ? "-" : ""
    let magnitude = abs(n)
    let cents = magnitude % 100
    return d("\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)")
}

@Suite("Inventory: FEFO allocation and line routing")
struct AllocationTests {
    static let today = "2026-03-15"
    static let yesterday = "2026-03-14"

    /// A candidate received `receivedDay` days after the epoch; the warehouse does not affect FEFO.
    func lot(
        _ bucketID: Int64, expires expiresOn: String?, available: String, receivedDay: Int = 0, warehouse: String = "MAIN"
    ) -> StockCandidate {
        StockCandidate(
            bucketID: bucketID, warehouse: warehouse, lot: expiresOn.map { "L-\($0)" }, expiresOn: expiresOn,
            firstReceivedAt: Date(timeIntervalSince1970: TimeInterval(receivedDay * 86_400)), available: d(available))
    }

    func allocate(_ quantity: String, from candidates: [StockCandidate]) -> [Allocation] {
        FEFO.allocate(d(quantity), from: candidates, today: Self.today)
    }

    func orderedIDs(_ candidates: [StockCandidate]) -> [Int64] {
        FEFO.order(candidates, today: Self.today).map(\.bucketID)
    }

    func sum(_ allocations: [Allocation]) -> Decimal {
        allocations.reduce(Decimal(0)) { $0 + $1.quantity }
    }

    // MARK: - FEFO: expiry

    @Test("a lot is expired only once its expiry date has passed; goods without expiry never expire")
    func expiry() {
        #expect(FEFO.isExpired(lot(1, expires: Self.yesterday, available: "1"), today: Self.today))
        #expect(FEFO.isExpired(lot(1, expires: "2025-12-31", available: "1"), today: Self.today))
        #expect(!FEFO.isExpired(lot(1, expires: Self.today, available: "1"), today: Self.today))
        #expect(!FEFO.isExpired(lot(1, expires: "2026-03-16", available: "1"), today: Self.today))
        #expect(!FEFO.isExpired(lot(1, expires: nil, available: "1"), today: Self.today))
    }

    @Test("expired lots are skipped and the order is filled from the next one")
    func expiredLotsSkipped() {
        let candidates = [
            lot(1, expires: Self.yesterday, available: "10"),
            lot(2, expires: "2026-01-01", available: "10"),
            lot(3, expires: "2026-04-01", available: "10"),
        ]
        #expect(orderedIDs(candidates) == [3])
        #expect(allocate("4", from: candidates) == [Allocation(bucketID: 3, quantity: d("4"))])
    }

    @Test("a lot expiring today is still taken, and before later ones")
    func expiringTodayIsTaken() {
        let candidates = [
            lot(1, expires: "2026-03-20", available: "10"),
            lot(2, expires: Self.today, available: "2"),
        ]
        #expect(allocate("5", from: candidates) == [
            Allocation(bucketID: 2, quantity: d("2")),
            Allocation(bucketID: 1, quantity: d("3")),
        ])
    }

    @Test("when only expired stock is left nothing is allocated")
    func onlyExpiredStock() {
        let candidates = [lot(1, expires: Self.yesterday, available: "10"), lot(2, expires: "2020-01-01", available: "5")]
        #expect(allocate("3", from: candidates).isEmpty)
    }

    // MARK: - FEFO: order

    @Test("the earliest expiry is taken first, whatever the input order, bucket id or receipt date")
    func earliestExpiryFirst() {
        let candidates = [
            lot(1, expires: "2026-09-01", available: "1", receivedDay: 1),
            lot(2, expires: "2026-04-01", available: "1", receivedDay: 3),
            lot(3, expires: "2027-01-01", available: "1", receivedDay: 0),
            lot(4, expires: "2026-03-31", available: "1", receivedDay: 9),
        ]
        #expect(orderedIDs(candidates) == [4, 2, 1, 3])
        #expect(orderedIDs(candidates.reversed()) == [4, 2, 1, 3])
    }

    @Test("goods without an expiry date come after every lot that has one")
    func noExpiryLast() {
        let candidates = [
            lot(1, expires: nil, available: "5", receivedDay: 0),
            lot(2, expires: "2030-12-31", available: "5", receivedDay: 50),
            lot(3, expires: Self.today, available: "5", receivedDay: 60),
        ]
        #expect(orderedIDs(candidates) == [3, 2, 1])
        #expect(allocate("12", from: candidates) == [
            Allocation(bucketID: 3, quantity: d("5")),
            Allocation(bucketID: 2, quantity: d("5")),
            Allocation(bucketID: 1, quantity: d("2")),
        ])
    }

    @Test("on the same expiry the oldest receipt goes first, then the lowest bucket id")
    func tieBreaks() {
        let candidates = [
            lot(7, expires: "2026-06-01", available: "1", receivedDay: 20),
            lot(5, expires: "2026-06-01", available: "1", receivedDay: 10),
            lot(9, expires: "2026-06-01", available: "1", receivedDay: 10),
            lot(3, expires: "2026-06-01", available: "1", receivedDay: 30),
            lot(1, expires: "2026-07-01", available: "1", receivedDay: 0),
        ]
        #expect(orderedIDs(candidates) == [5, 9, 7, 3, 1])
    }

    @Test("goods without expiry are taken oldest receipt first, then lowest bucket id")
    func tieBreaksWithoutExpiry() {
        let candidates = [
            lot(4, expires: nil, available: "1", receivedDay: 5),
            lot(8, expires: nil, available: "1", receivedDay: 2),
            lot(2, expires: nil, available: "1", receivedDay: 5),
        ]
        #expect(orderedIDs(candidates) == [8, 2, 4])
    }

    @Test("the FEFO order does not depend on the order candidates arrive in")
    func orderIsTotal() {
        var random = SplitMix64(seed: 42)
        let candidates = [
            lot(1, expires: "2026-05-01", available: "1", receivedDay: 3),
            lot(2, expires: "2026-05-01", available: "1", receivedDay: 3),
            lot(3, expires: "2026-05-01", available: "1", receivedDay: 1),
            lot(4, expires: nil, available: "1", receivedDay: 1),
            lot(5, expires: nil, available: "1", receivedDay: 1),
            lot(6, expires: "2026-04-01", available: "1", receivedDay: 7),
            lot(7, expires: Self.yesterday, available: "1", receivedDay: 0),
        ]
        let expected: [Int64] = [6, 3, 1, 2, 4, 5]
        for _ in 0..<50 {
            #expect(orderedIDs(random.shuffled(candidates)) == expected)
        }
    }

    // MARK: - FEFO: allocation

    @Test("empty, zero and negative available buckets are skipped")
    func emptyBucketsSkipped() {
        let candidates = [
            lot(1, expires: "2026-03-20", available: "0"),
            lot(2, expires: "2026-03-21", available: "0.00"),
            lot(3, expires: "2026-03-22", available: "-1"),
            lot(4, expires: "2026-03-23", available: "2"),
        ]
        #expect(orderedIDs(candidates) == [4])
        #expect(allocate("5", from: candidates) == [Allocation(bucketID: 4, quantity: d("2"))])
        #expect(allocate("5", from: []).isEmpty)
        #expect(allocate("5", from: [lot(1, expires: nil, available: "0")]).isEmpty)
    }

    @Test("8 is filled exactly as 5 + 3 from two lots, leaving the third untouched")
    func exactFillAcrossLots() {
        let candidates = [
            lot(30, expires: "2026-06-01", available: "10"),
            lot(10, expires: "2026-04-01", available: "5"),
            lot(20, expires: "2026-05-01", available: "7"),
        ]
        let allocations = allocate("8", from: candidates)
        #expect(allocations == [Allocation(bucketID: 10, quantity: d("5")), Allocation(bucketID: 20, quantity: d("3"))])
        #expect(sum(allocations) == d("8"))
    }

    @Test("a quantity that fits in the first lot takes only from it")
    func fitsInFirstLot() {
        let candidates = [lot(1, expires: "2026-04-01", available: "5"), lot(2, expires: "2026-05-01", available: "5")]
        #expect(allocate("5", from: candidates) == [Allocation(bucketID: 1, quantity: d("5"))])
    }

    @Test("asking for more than is available returns everything available")
    func moreThanAvailable() {
        let candidates = [
            lot(1, expires: "2026-04-01", available: "5"),
            lot(2, expires: nil, available: "3"),
            lot(3, expires: Self.yesterday, available: "100"),
        ]
        let allocations = allocate("20", from: candidates)
        #expect(allocations == [Allocation(bucketID: 1, quantity: d("5")), Allocation(bucketID: 2, quantity: d("3"))])
        #expect(sum(allocations) == d("8"))
    }

    @Test("a zero or negative quantity allocates nothing")
    func nothingAsked() {
        let candidates = [lot(1, expires: "2026-04-01", available: "5")]
        #expect(allocate("0", from: candidates).isEmpty)
        #expect(allocate("-3", from: candidates).isEmpty)
    }

    @Test("fractional quantities are allocated exactly: 2.5 + 0.75")
    func fractionalQuantities() {
        let candidates = [lot(1, expires: "2026-04-01", available: "2.5"), lot(2, expires: "2026-05-01", available: "0.75")]
        let all = allocate("3.25", from: candidates)
        #expect(all == [Allocation(bucketID: 1, quantity: d("2.5")), Allocation(bucketID: 2, quantity: d("0.75"))])
        #expect(sum(all) == d("3.25"))

        let part = allocate("3", from: candidates)
        #expect(part == [Allocation(bucketID: 1, quantity: d("2.5")), Allocation(bucketID: 2, quantity: d("0.5"))])
        #expect(sum(part) == d("3"))

        let tiny = allocate("0.001", from: candidates)
        #expect(tiny == [Allocation(bucketID: 1, quantity: d("0.001"))])
    }

    @Test("over 400 generated cases the allocation is the smaller of quantity and unexpired stock, taken FEFO")
    func allocationProperty() {
        var random = SplitMix64(seed: 0x5EED_F00D)
        let expiries: [String?] = [nil, "2025-12-31", Self.yesterday, Self.today, "2026-03-16", "2026-06-30", "2027-01-01"]
        for caseNumber in 0..<400 {
            let count = random.int(in: 0...7)
            let candidates = (0..<count).map { index in
                StockCandidate(
                    bucketID: Int64(index * 10 + random.int(in: 0...9)), warehouse: random.pick(["MAIN", "EAST"]), lot: nil,
                    expiresOn: random.pick(expiries),
                    firstReceivedAt: Date(timeIntervalSince1970: TimeInterval(random.int(in: 0...5) * 86_400)),
                    // One in four is empty; the rest hold 0.01 to 20.00.
                    available: random.int(in: 0...3) == 0 ? 0 : hundredths(random.int(in: 1...2_000)))
            }
            let quantity = hundredths(random.int(in: 0...6_000))
            let allocations = FEFO.allocate(quantity, from: candidates, today: Self.today)

            let usable = candidates.filter { $0.available > 0 && !FEFO.isExpired($0, today: Self.today) }
            let available = usable.reduce(Decimal(0)) { $0 + $1.available }
            let total = sum(allocations)
            #expect(total <= quantity, "case \(caseNumber)")
            #expect(total <= available, "case \(caseNumber)")
            #expect(total == min(quantity, available), "case \(caseNumber)")

            // Each allocation is positive, within its bucket, from an unexpired bucket, once.
            let byID = Dictionary(uniqueKeysWithValues: usable.map { ($0.bucketID, $0) })
            #expect(Set(allocations.map(\.bucketID)).count == allocations.count, "case \(caseNumber)")
            for allocation in allocations {
                #expect(allocation.quantity > 0, "case \(caseNumber)")
                #expect(allocation.quantity <= (byID[allocation.bucketID]?.available ?? -1), "case \(caseNumber)")
            }

            // Taken in FEFO order, and every bucket but the last is emptied.
            let order = FEFO.order(candidates, today: Self.today)
            #expect(allocations.map(\.bucketID) == Array(order.prefix(allocations.count).map(\.bucketID)), "case \(caseNumber)")
            for (allocation, candidate) in zip(allocations.dropLast(), order) {
                #expect(allocation.quantity == candidate.available, "case \(caseNumber)")
            }

            // The order itself: expiry never decreases, and goods without expiry come last.
            for (a, b) in zip(order, order.dropFirst()) {
                switch (a.expiresOn, b.expiresOn) {
                case let (x?, y?): #expect(x <= y, "case \(caseNumber)")
                case (nil, _?): Issue.record("case \(caseNumber): no-expiry bucket \(a.bucketID) before \(b.bucketID)")
                default: break
                }
            }
        }
    }

    // MARK: - Line routing

    @Test("5 in stock, 8 ordered, manufactured: reserve 5, produce 3")
    func manufacturedShortage() {
        let plan = LineRouting.plan(quantity: d("8"), reservable: d("5"), sourcing: .manufactured, hasSupplier: false)
        #expect(plan == LinePlan(reserve: d("5"), produce: d("3")))
        // A supplier on file does not turn production into a purchase.
        #expect(LineRouting.plan(quantity: d("8"), reservable: d("5"), sourcing: .manufactured, hasSupplier: true) == plan)
    }

    @Test("5 in stock, 8 ordered, purchased: reserve 5, purchase 3 (with or without a supplier on file)")
    func purchasedShortage() {
        for hasSupplier in [true, false] {
            let plan = LineRouting.plan(quantity: d("8"), reservable: d("5"), sourcing: .purchased, hasSupplier: hasSupplier)
            #expect(plan == LinePlan(reserve: d("5"), purchase: d("3")))
        }
    }

    @Test("a stocked product with a supplier buys the shortage")
    func stockedWithSupplier() {
        let plan = LineRouting.plan(quantity: d("8"), reservable: d("5"), sourcing: .stocked, hasSupplier: true)
        #expect(plan == LinePlan(reserve: d("5"), purchase: d("3")))
    }

    @Test("a stocked product without a supplier backorders the shortage")
    func stockedWithoutSupplier() {
        let plan = LineRouting.plan(quantity: d("8"), reservable: d("5"), sourcing: .stocked, hasSupplier: false)
        #expect(plan == LinePlan(reserve: d("5"), backorder: d("3")))
    }

    @Test("a fully available line is only reserved, whatever the sourcing", arguments: Sourcing.allCases)
    func fullyAvailable(sourcing: Sourcing) {
        for hasSupplier in [true, false] {
            let exact = LineRouting.plan(quantity: d("8"), reservable: d("8"), sourcing: sourcing, hasSupplier: hasSupplier)
            #expect(exact == LinePlan(reserve: d("8")))
        }
    }

    @Test("with nothing available the whole line goes to the product's route")
    func nothingAvailable() {
        #expect(LineRouting.plan(quantity: d("8"), reservable: 0, sourcing: .manufactured, hasSupplier: false)
            == LinePlan(produce: d("8")))
        #expect(LineRouting.plan(quantity: d("8"), reservable: 0, sourcing: .purchased, hasSupplier: true)
            == LinePlan(purchase: d("8")))
        #expect(LineRouting.plan(quantity: d("8"), reservable: 0, sourcing: .stocked, hasSupplier: true)
            == LinePlan(purchase: d("8")))
        #expect(LineRouting.plan(quantity: d("8"), reservable: 0, sourcing: .stocked, hasSupplier: false)
            == LinePlan(backorder: d("8")))
    }

    @Test("more reservable than ordered reserves only the quantity")
    func reservableCappedAtQuantity() {
        let plan = LineRouting.plan(quantity: d("8"), reservable: d("50"), sourcing: .manufactured, hasSupplier: false)
        #expect(plan == LinePlan(reserve: d("8")))
        #expect(plan.total == d("8"))
    }

    @Test("a negative reservable counts as nothing reservable")
    func negativeReservable() {
        let plan = LineRouting.plan(quantity: d("8"), reservable: d("-2"), sourcing: .stocked, hasSupplier: false)
        #expect(plan == LinePlan(backorder: d("8")))
        #expect(plan.total == d("8"))
    }

    @Test("fractional lines split exactly: 2.5 ordered, 0.75 reservable")
    func fractionalRouting() {
        let plan = LineRouting.plan(quantity: d("2.5"), reservable: d("0.75"), sourcing: .purchased, hasSupplier: true)
        #expect(plan == LinePlan(reserve: d("0.75"), purchase: d("1.75")))
        #expect(plan.total == d("2.5"))
    }

    @Test("over 400 generated lines the plan always adds up to the quantity and uses only the right route")
    func routingProperty() {
        var random = SplitMix64(seed: 2_026)
        for caseNumber in 0..<400 {
            let quantity = hundredths(random.int(in: 1...10_000))
            let reservable = hundredths(random.int(in: -1_000...12_000))
            let sourcing = random.pick(Sourcing.allCases)
            let hasSupplier = random.bool()
            let plan = LineRouting.plan(quantity: quantity, reservable: reservable, sourcing: sourcing, hasSupplier: hasSupplier)

            #expect(plan.total == quantity, "case \(caseNumber)")
            #expect(plan.reserve == max(0, min(quantity, reservable)), "case \(caseNumber)")
            for part in [plan.reserve, plan.produce, plan.purchase, plan.backorder] {
                #expect(part >= 0, "case \(caseNumber)")
            }
            let rest = quantity - plan.reserve
            switch sourcing {
            case .manufactured:
                #expect(plan.produce == rest && plan.purchase == 0 && plan.backorder == 0, "case \(caseNumber)")
            case .purchased:
                #expect(plan.purchase == rest && plan.produce == 0 && plan.backorder == 0, "case \(caseNumber)")
            case .stocked where hasSupplier:
                #expect(plan.purchase == rest && plan.produce == 0 && plan.backorder == 0, "case \(caseNumber)")
            case .stocked:
                #expect(plan.backorder == rest && plan.produce == 0 && plan.purchase == 0, "case \(caseNumber)")
            }
        }
    }

    // MARK: - Line progress

    struct ProgressCase: Sendable, CustomTestStringConvertible {
        var name: String
        var progress: LineProgress
        var state: LineProgress.State
        var readyToShip: Bool
        var testDescription: String { name }
    }

    /// Lines of 8 unless said otherwise.
    static let progressCases: [ProgressCase] = {
        func line(
            _ quantity: String = "8", reserved: String = "0", shipped: String = "0", inProduction: String = "0",
            onOrder: String = "0", backordered: String = "0"
        ) -> LineProgress {
            LineProgress(
                quantity: d(quantity), reserved: d(reserved), shipped: d(shipped), inProduction: d(inProduction),
                onOrder: d(onOrder), backordered: d(backordered))
        }
        return [
            ProgressCase(name: "all shipped", progress: line(shipped: "8"), state: .shipped, readyToShip: false),
            ProgressCase(name: "fully reserved", progress: line(reserved: "8"), state: .reserved, readyToShip: true),
            ProgressCase(
                name: "partially shipped, rest reserved", progress: line(reserved: "5", shipped: "3"),
                state: .partiallyShipped, readyToShip: true),
            ProgressCase(
                name: "5 reserved, 3 in production", progress: line(reserved: "5", inProduction: "3"),
                state: .inProduction, readyToShip: false),
            ProgressCase(name: "all in production", progress: line(inProduction: "8"), state: .inProduction, readyToShip: false),
            ProgressCase(
                name: "5 reserved, 3 ordered from the supplier", progress: line(reserved: "5", onOrder: "3"),
                state: .orderedFromSupplier, readyToShip: false),
            ProgressCase(
                name: "5 reserved, 3 backordered", progress: line(reserved: "5", backordered: "3"),
                state: .backordered, readyToShip: false),
            ProgressCase(
                name: "partially reserved with nothing else", progress: line(reserved: "5"),
                state: .partiallyReserved, readyToShip: false),
            ProgressCase(name: "nothing at all (unrouted)", progress: line(), state: .unrouted, readyToShip: false),
            ProgressCase(
                name: "partially shipped with nothing else", progress: line(shipped: "3"),
                state: .partiallyShipped, readyToShip: false),
            ProgressCase(
                name: "shipped 3, 5 in production", progress: line(shipped: "3", inProduction: "5"),
                state: .inProduction, readyToShip: false),
            ProgressCase(
                name: "production outranks a supplier order and a backorder",
                progress: line(reserved: "2", inProduction: "2", onOrder: "2", backordered: "2"),
                state: .inProduction, readyToShip: false),
            ProgressCase(
                name: "a supplier order outranks a backorder", progress: line(onOrder: "4", backordered: "4"),
                state: .orderedFromSupplier, readyToShip: false),
            ProgressCase(
                name: "fractional: 2.5 ordered, 0.75 shipped, 1.75 reserved",
                progress: line("2.5", reserved: "1.75", shipped: "0.75"), state: .partiallyShipped, readyToShip: true),
            ProgressCase(
                name: "fractional: 2.5 ordered, 2.49 reserved", progress: line("2.5", reserved: "2.49"),
                state: .partiallyReserved, readyToShip: false),
        ]
    }()

    @Test("line state and readiness to ship", arguments: progressCases)
    func progress(_ example: ProgressCase) {
        #expect(example.progress.state == example.state)
        #expect(example.progress.readyToShip == example.readyToShip)
    }

    @Test("line states have the snake_case names the API sends")
    func stateNames() {
        let names: [LineProgress.State: String] = [
            .shipped: "shipped", .partiallyShipped: "partially_shipped", .reserved: "reserved", .inProduction: "in_production",
            .orderedFromSupplier: "ordered_from_supplier", .backordered: "backordered", .partiallyReserved: "partially_reserved",
            .unrouted: "unrouted",
        ]
        for (state, name) in names {
            #expect(state.rawValue == name)
        }
    }
}
