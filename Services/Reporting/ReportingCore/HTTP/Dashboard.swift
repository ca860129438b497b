import Contracts
import Foundation
import Hummingbird
import Logging
import Messaging
import NIOCore
import PostgresNIO
import ServiceKit

/// The management dashboard: `GET /` renders the funnel on the server (figures, an SVG chart,
/// conversion rates) with the filters of its query string, and a small script of our own (no
/// CDN) keeps it live from `GET /dashboard/stream` (server-sent events: the report again whenever
/// the read model moved). Both are outside `/v1` and need no service token: serve the port only
/// to the office network or behind the company's single sign-on proxy.
func addDashboardRoutes(_ router: Router<BasicRequestContext>, _ context: ReportingContext) {
    let postgres = context.postgres
    let funnel = context.funnel

    router.get("/") { request, ctx -> Response in
        let query = try funnelQuery(request)
        try await funnel.catchUp(client: postgres, logger: ctx.logger)
        let report = await funnel.report(query)
        var fields: [String: String] = [:]
        for name in ["from", "to", "department", "manager", "channel", "equipmentType", "dealer"] {
            fields[name] = request.uri.queryParameters[Substring(name)].map(String.init)
        }
        let kpis = await DashboardKPIs.make(funnel, query, dealer: fields["dealer"])
        let html = DashboardPage.render(report, kpis: kpis, query: request.uri.query ?? "", fields: fields)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    router.get("dashboard/stream") { request, ctx -> Response in
        let query = try funnelQuery(request)
        let dealer = request.uri.queryParameters["dealer"].map(String.init)
        let logger = ctx.logger
        // The funnel whenever the read models moved (the tail announces each position it reaches;
        // a slow connection skips to the newest). Timeliness and the dealers' month are worked out
        // over whole histories, so they follow at most every 2 s, and at least every 15 s as they
        // age with the clock, without holding up the funnel.
        return eventStreamResponse { sink in
            let (watch, positions) = await funnel.watch()
            let figuresDue = Doorbell()
            let kpis = Task {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                while !Task.isCancelled {
                    if let data = try? encoder.encode(await DashboardKPIs.make(funnel, query, dealer: dealer)) {
                        sink.send("kpis", data: String(decoding: data, as: UTF8.self))
                    }
                    try? await Task.sleep(for: .seconds(2))
                    await figuresDue.wait(timeout: .seconds(13))
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for await _ in positions {
                do {
                    sink.send("funnel", data: String(decoding: try encoder.encode(await funnel.report(query)), as: UTF8.self))
                    figuresDue.ring()
                } catch {
                    logger.debug("dashboard stream could not encode a report", metadata: ["error": "\(error)"])
                }
            }
            kpis.cancel()
            await funnel.unwatch(watch)
        }
    }
}

/// The timeliness and dealer figures the dashboard shows next to the funnel.
struct DashboardKPIs: Codable, Sendable {
    var triageP50Seconds: Int?
    var firstContactP50Seconds: Int?
    var slaBreaches: Int
    var overdueTasks: Int
    var dealers: [Dealer]

    struct Dealer: Codable, Sendable {
        var dealer: String
        var month: String
        var net: Decimal
        var target: Decimal?
        var achievedPercent: Decimal?
    }

    /// The figures for the dashboard's filters: timeliness over its period, department and
    /// manager; the dealers' current month (one dealer when `dealer` is given).
    static func make(_ models: FunnelProjection, _ query: FunnelQuery, dealer: String?) async -> DashboardKPIs {
        let now = query.asOf ?? Date()
        let timeliness = await models.timeliness(TimelinessQuery(
            from: query.from, to: query.to, asOf: now, department: query.department, manager: query.manager))
        let month = String(Timestamp.format(now).prefix(7))
        let sales = await models.sales(SalesQuery(asOf: now, dealer: dealer))
        let dealers = sales.dealerMonths.filter { $0.period == month }.map {
            Dealer(dealer: $0.dealer, month: $0.period, net: $0.net, target: $0.target, achievedPercent: $0.achievedPercent)
        }
        return DashboardKPIs(
            triageP50Seconds: timeliness.triage.p50Seconds, firstContactP50Seconds: timeliness.firstContact.p50Seconds,
            slaBreaches: timeliness.slaBreaches.values.reduce(0, +), overdueTasks: timeliness.overdueTasks, dealers: dealers)
    }
}

/// The page, rendered with the figures in it (readable without the script, and by a test reading
/// the DOM): every figure carries `data-figure="<name>"`.
enum DashboardPage {
    static let steps: [(key: String, title: String)] = [
        ("inquiries", "Inquiries"), ("leads", "Leads"), ("qualified", "Qualified"), ("converted", "Converted"), ("deals", "Deals"),
        ("closed", "Closed"), ("lost", "Lost"),
    ]

    static func value(_ report: FunnelReport, _ key: String) -> Int {
        switch key {
        case "inquiries": report.inquiries
        case "leads": report.leads
        case "qualified": report.qualified
        case "converted": report.converted
        case "deals": report.deals
        case "closed": report.closed
        case "lost": report.lost
        default: 0
        }
    }

    /// `text` as a JavaScript string literal that can stand inside `<script>`: HTML escapes mean
    /// nothing there (an `&amp;` would reach the script as five characters), so every character
    /// but letters, digits and `-_.=&%+,:` is written as `\uXXXX` (no `<`, quote or backslash remains).
    static func scriptString(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            if let scalar = Unicode.Scalar(unit), scalar.isASCII,
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.=&%+,:".unicodeScalars.contains(scalar)
            {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func percent(_ value: Decimal?) -> String { value.map { "\($0) %" } ?? "—" }

    static func render(_ report: FunnelReport, kpis: DashboardKPIs, query: String, fields: [String: String]) -> String {
        let widest = max(1, steps.map { value(report, $0.key) }.max() ?? 1)
        var bars = ""
        for (index, step) in steps.enumerated() {
            let count = value(report, step.key)
            let width = Int((Double(count) / Double(widest) * 560).rounded())
            let y = index * 34
            bars += """
                <g transform="translate(0,\(y))"><text x="0" y="20">\(step.title)</text>\
                <rect data-bar="\(step.key)" x="110" y="4" height="22" width="\(width)" rx="3"></rect>\
                <text x="\(120 + width)" y="20" data-figure="\(step.key)">\(count)</text></g>

                """
        }
        let stages = report.dealsByStage.sorted { $0.key < $1.key }
            .map { "<tr><td>\(escape($0.key))</td><td data-figure=\"stage:\(escape($0.key))\">\($0.value)</td></tr>" }.joined()
        let equipment = report.dealsByEquipmentType.sorted { $0.key < $1.key }
            .map { "<tr><td>\(escape($0.key))</td><td data-figure=\"equipment:\(escape($0.key))\">\($0.value)</td></tr>" }.joined()
        let lostReasons = report.lostByReason.sorted { $0.key < $1.key }
            .map { "<tr><td>\(escape($0.key))</td><td data-figure=\"lost:\(escape($0.key))\">\($0.value)</td></tr>" }.joined()
        func field(_ name: String, _ label: String) -> String {
            let current = fields[name] ?? ""
            return "<label>\(label) <input name=\"\(name)\" value=\"\(escape(current))\"></label>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>DMS — sales funnel</title>
            <style>
            body{font-family:"DejaVu Sans",sans-serif;margin:24px;color:#1d2733}
            h1{font-size:22px} form{margin:12px 0} label{margin-right:12px;font-size:13px}
            rect{fill:#2f6db5} svg text{font-size:14px} table{border-collapse:collapse;margin-top:12px}
            td{padding:2px 12px 2px 0;font-size:14px} .rates span{margin-right:18px} #live{font-size:12px;color:#6b7785}
            </style></head>
            <body>
            <h1>Sales funnel</h1>
            <form method="get">\(field("from", "From")) \(field("to", "To")) \(field("department", "Department")) \(field("manager", "Manager")) \
            \(field("channel", "Channel")) \(field("equipmentType", "Equipment type")) \(field("dealer", "Dealer")) <button type="submit">Apply</button></form>
            <svg width="760" height="\(steps.count * 34)" role="img" aria-label="funnel">
            \(bars)</svg>
            <p class="rates"><span>Lead → qualified: <b data-figure="rate:leadToQualified">\(percent(report.conversion.leadToQualified))</b></span>\
            <span>Qualified → converted: <b data-figure="rate:qualifiedToConverted">\(percent(report.conversion.qualifiedToConverted))</b></span>\
            <span>Deal → closed: <b data-figure="rate:dealToClosed">\(percent(report.conversion.dealToClosed))</b></span></p>
            <table><tr><th>Deals by stage</th><th></th></tr><tbody id="stages">\(stages)</tbody></table>
            <table><tr><th>Deals by equipment type</th><th></th></tr><tbody id="equipment">\(equipment)</tbody></table>
            <table><tr><th>Lost, by reason</th><th></th></tr><tbody id="lost">\(lostReasons)</tbody></table>
            <h2>Timeliness</h2>
            <p class="rates"><span>Time to triage, median: <b data-figure="triage:p50">\(duration(kpis.triageP50Seconds))</b></span>\
            <span>Time to first contact, median: <b data-figure="contact:p50">\(duration(kpis.firstContactP50Seconds))</b></span>\
            <span>SLA breaches: <b data-figure="breaches">\(kpis.slaBreaches)</b></span>\
            <span>Overdue tasks: <b data-figure="overdueTasks">\(kpis.overdueTasks)</b></span></p>
            <h2>Dealers this month</h2>
            <table><tr><th>Dealer</th><th>Net sales</th><th>Target</th><th>Achieved</th></tr><tbody id="dealers">\(dealerRows(kpis))</tbody></table>
            <p id="live" data-state="connecting">connecting…</p>
            <script>
            (function () {
              var steps = \(Self.stepKeysJSON);
              var source = new EventSource("/dashboard/stream?" + \(scriptString(query)));
              var live = document.getElementById("live");
              source.addEventListener("funnel", function (message) {
                var report = JSON.parse(message.data);
                var widest = Math.max(1, Math.max.apply(null, steps.map(function (s) { return report[s]; })));
                steps.forEach(function (s) {
                  var text = document.querySelector('[data-figure="' + s + '"]');
                  var bar = document.querySelector('[data-bar="' + s + '"]');
                  var width = Math.round(report[s] / widest * 560);
                  bar.setAttribute("width", width);
                  text.setAttribute("x", 120 + width);
                  text.textContent = report[s];
                });
                ["leadToQualified", "qualifiedToConverted", "dealToClosed"].forEach(function (r) {
                  var value = report.conversion[r];
                  document.querySelector('[data-figure="rate:' + r + '"]').textContent = value === undefined ? "\u{2014}" : value + " %";
                });
                live.textContent = "live, updated " + new Date().toLocaleTimeString();
                live.setAttribute("data-state", "live");
              });
              source.addEventListener("kpis", function (message) {
                var kpis = JSON.parse(message.data);
                var time = function (s) { return s === undefined || s === null ? "\u{2014}" : (s < 3600 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h"); };
                document.querySelector('[data-figure="triage:p50"]').textContent = time(kpis.triageP50Seconds);
                document.querySelector('[data-figure="contact:p50"]').textContent = time(kpis.firstContactP50Seconds);
                document.querySelector('[data-figure="breaches"]').textContent = kpis.slaBreaches;
                document.querySelector('[data-figure="overdueTasks"]').textContent = kpis.overdueTasks;
              });
              source.onerror = function () { live.textContent = "reconnecting…"; live.setAttribute("data-state", "reconnecting"); };
            })();
            </script>
            </body></html>
            """
    }

    /// `12 min`, `3.5 h`, or a dash when there is nothing to measure.
    static func duration(_ seconds: Int?) -> String {
        guard let seconds else { return "—" }
        if seconds < 3600 { return "\(Int((Double(seconds) / 60).rounded())) min" }
        return String(format: "%.1f h", Double(seconds) / 3600)
    }

    static func dealerRows(_ kpis: DashboardKPIs) -> String {
        kpis.dealers.map { row in
            """
            <tr><td>\(escape(row.dealer))</td><td data-figure="dealer:\(escape(row.dealer)):net">\(row.net)</td>\
            <td>\(row.target.map { "\($0)" } ?? "—")</td><td>\(row.achievedPercent.map { "\($0) %" } ?? "—")</td></tr>
            """
        }.joined()
    }

    static var stepKeysJSON: String { "[" + steps.map { "\"\($0.key)\"" }.joined(separator: ",") + "]" }
}
