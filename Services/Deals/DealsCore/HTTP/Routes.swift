import Hummingbird
import PostgresNIO
import ServiceKit

/// A reason a customer may refuse a deal.
struct LossReason: ResponseCodable, Equatable {
    var code: String
    var title: String
    var createsQualityTask: Bool
}

struct LossReasonList: ResponseCodable {
    var items: [LossReason]
}

public func addDealsRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    api.get("loss-reasons") { _, context in
        let rows = try await platform.postgres.query(
            "SELECT code, title, creates_quality_task FROM loss_reasons ORDER BY code", logger: context.logger)
        var items: [LossReason] = []
        for try await (code, title, task) in rows.decode((String, String, Bool).self) {
            items.append(LossReason(code: code, title: title, createsQualityTask: task))
        }
        return LossReasonList(items: items)
    }
}
