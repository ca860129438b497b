import Contracts
import Foundation
import Mustache

/// A commercial offer as it is printed: numbered, versioned, in the customer's language.
struct OfferDocument: Sendable {
    var number: String
    var version: Int
    var language: OfferLanguage
    var issuedOn: Date
    var validUntil: Date
    var deal: Deal
    var terms: String?

    /// The HTML the PDF is printed from (the template is `Templates/offer.mustache`).
    func html(template: MustacheTemplate) -> String {
        let format = language.numberFormat
        var context: [String: Any] = [
            "language": language.rawValue,
            "t": language.texts,
            "number": number,
            "version": String(version),
            "date": language.date(issuedOn),
            "validUntil": language.date(validUntil),
            "customer": deal.legalEntity.name,
            "needs": deal.needs,
            "currency": deal.currency,
            "total": deal.total.map { format.amount($0.amount) } ?? "—",
            "dealId": deal.id.uuidString.lowercased(),
            "lines": deal.lines.enumerated().map { index, line -> [String: Any] in
                [
                    "position": String(index + 1), "name": line.name, "sku": line.sku, "quantity": format.quantity(line.quantity),
                    "unitPrice": line.unitPrice.map { format.amount($0.amount) } ?? "—",
                    "discount": line.discountPercent == 0 ? "" : "\(format.quantity(line.discountPercent)) %",
                    "amount": line.total.map { format.amount($0.amount) } ?? "—",
                ]
            },
        ]
        if let taxID = deal.legalEntity.taxId { context["taxId"] = taxID }
        if let contact = deal.contacts.first {
            context["contact"] = [contact.name, contact.phone, contact.email].compactMap { $0 }.joined(separator: ", ")
        }
        if let terms, !terms.isEmpty { context["terms"] = terms }
        return template.render(context)
    }
}

/// The languages offers are printed in.
enum OfferLanguage: String, Sendable, Codable, CaseIterable {
    case ru, es, pt, en

    /// Thousands and decimal separators as each market writes amounts.
    var numberFormat: NumberStyle {
        switch self {
        case .ru: NumberStyle(grouping: " ", decimal: ",")
        case .es, .pt: NumberStyle(grouping: ".", decimal: ",")
        case .en: NumberStyle(grouping: ",", decimal: ".")
        }
    }

    func date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let (y, m, d) = (parts.year!, parts.month!, parts.day!)
        switch self {
        case .ru: return String(format: "%02d.%02d.%04d", d, m, y)
        case .es, .pt: return String(format: "%02d/%02d/%04d", d, m, y)
        case .en: return String(format: "%04d-%02d-%02d", y, m, d)
        }
    }

    var texts: [String: String] {
        switch self {
        case .ru:
            ["title": "Коммерческое предложение", "date": "Дата", "validUntil": "Действительно до", "customer": "Заказчик",
             "taxId": "ИНН", "contact": "Контактное лицо", "needs": "Потребность", "item": "Наименование", "sku": "Артикул",
             "quantity": "Кол-во", "unitPrice": "Цена", "discount": "Скидка", "amount": "Сумма", "total": "Итого", "terms": "Условия",
             "version": "Версия", "deal": "Сделка"]
        case .es:
            ["title": "Oferta comercial", "date": "Fecha", "validUntil": "Válida hasta", "customer": "Cliente", "taxId": "NIF",
             "contact": "Persona de contacto", "needs": "Necesidad", "item": "Descripción", "sku": "Referencia", "quantity": "Cantidad",
             "unitPrice": "Precio", "discount": "Descuento", "amount": "Importe", "total": "Total", "terms": "Condiciones",
             "version": "Versión", "deal": "Operación"]
        case .pt:
            ["title": "Proposta comercial", "date": "Data", "validUntil": "Válida até", "customer": "Cliente", "taxId": "NIF/CNPJ",
             "contact": "Contacto", "needs": "Necessidade", "item": "Descrição", "sku": "Referência", "quantity": "Quantidade",
             "unitPrice": "Preço", "discount": "Desconto", "amount": "Valor", "total": "Total", "terms": "Condições",
             "version": "Versão", "deal": "Negócio"]
        case .en:
            ["title": "Commercial offer", "date": "Date", "validUntil": "Valid until", "customer": "Customer", "taxId": "Tax id",
             "contact": "Contact", "needs": "Needs", "item": "Item", "sku": "SKU", "quantity": "Qty", "unitPrice": "Unit price",
             "discount": "Discount", "amount": "Amount", "total": "Total", "terms": "Terms", "version": "Version", "deal": "Deal"]
        }
    }
}

/// Decimal numbers written with a market's separators, exactly (no binary floating point).
struct NumberStyle: Sendable, Equatable {
    var grouping: String
    var decimal: String

    /// Two decimals, grouped thousands: `1 679 999,98`.
    func amount(_ value: Decimal) -> String {
        write(value.roundedToCents(.plain), minimumFraction: 2)
    }

    /// As many decimals as the value has: `2`, `1,5`.
    func quantity(_ value: Decimal) -> String { write(value, minimumFraction: 0) }

    private func write(_ value: Decimal, minimumFraction: Int) -> String {
        let plain = NSDecimalNumber(decimal: value).stringValue  // "-1234.5", locale-independent
        let negative = plain.hasPrefix("-")
        let digits = negative ? String(plain.dropFirst()) : plain
        let parts = digits.split(separator: ".", maxSplits: 1)
        var integer = String(parts[0])
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.count < minimumFraction { fraction += "0" }
        var grouped = ""
        while integer.count > 3 {
            grouped = grouping + String(integer.suffix(3)) + grouped
            integer = String(integer.dropLast(3))
        }
        grouped = integer + grouped
        return (negative ? "-" : "") + grouped + (fraction.isEmpty ? "" : decimal + fraction)
    }
}
