import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit

struct Dealer: ResponseCodable, Equatable {
    var id: UUID
    var code: String
    var name: String
    var region: String
    var tier: String
    var status: String
    var shopCount: Int
}

struct DealerList: ResponseCodable {
    var items: [Dealer]
}

public func addDealerInfoRoutes(_ api: RouterGroup<BasicRequestContext>, _ platform: ServicePlatform) {
    api.get("dealers") { _, context in
        let rows = try await platform.postgres.query(
            """
            SELECT d.id, d.code, d.name, d.region, d.tier, d.status, count(s.id)::integer
            FROM dealers d LEFT JOIN shops s ON s.dealer_id = d.id
            GROUP BY d.id ORDER BY d.code
            """, logger: context.logger)
        var items: [Dealer] = []
        for try await (id, code, name, region, tier, status, shops) in rows.decode((UUID, String, String, String, String, String, Int).self) {
            items.append(Dealer(id: id, code: code, name: name, region: region, tier: tier, status: status, shopCount: shops))
        }
        return DealerList(items: items)
    }
}
