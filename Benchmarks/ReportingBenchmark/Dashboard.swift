import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Watches the management dashboard's live stream (`GET /dashboard/stream`, server-sent events:
/// `event: funnel` + `data: <FunnelReport JSON>` whenever the read model moved) and records every
/// funnel report as it arrives: when (on the benchmark's clock), and the leads it counts.
final class DashboardWatch: Sendable {
    struct Report: Sendable {
        var at: ContinuousClock.Instant
        var leads: Int
    }

    private struct State {
        var reports: [Report] = []
        var failure: String?
        var ended = false
    }

    private let state = Mutex(State())

    /// Every report so far, in order of arrival.
    var reports: [Report] { state.withLock { $0.reports } }

    /// Why the stream stopped or a report could not be read, if it did.
    var failure: String? { state.withLock { $0.failure ?? ($0.ended ? "the stream ended" : nil) } }

    /// Reads the stream at `url` until the task is cancelled (or `limit` passes).
    func run(_ http: HTTPClient, url: String, limit: TimeAmount) async {
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "text/event-stream")
            let response = try await http.execute(request, timeout: limit)
            guard response.status == .ok else {
                state.withLock { $0.failure = "GET /dashboard/stream answered \(response.status.code)" }
                return
            }
            var pending: [UInt8] = []
            for try await chunk in response.body {
                let arrived = ContinuousClock.now
                pending.append(contentsOf: chunk.readableBytesView)
                // Every complete event (ended by a blank line) in what arrived so far.
                var start = pending.startIndex
                var index = start
                while index + 1 < pending.endIndex {
                    if pending[index] == 0x0A && pending[index + 1] == 0x0A {
                        record(pending[start..<index], at: arrived)
                        start = index + 2
                        index = start
                    } else {
                        index += 1
                    }
                }
                pending.removeSubrange(pending.startIndex..<start)
            }
            state.withLock { $0.ended = true }
        } catch {
            if !Task.isCancelled { state.withLock { $0.failure = $0.failure ?? "the stream failed: \(error)" } }
        }
    }

    /// One event of the stream: a funnel report is recorded; comments (`: connected`, `: keep-alive`) are not.
    private func record(_ block: ArraySlice<UInt8>, at arrived: ContinuousClock.Instant) {
        var isFunnel = false
        var data: [UInt8] = []
        for line in block.split(separator: 0x0A) {
            if line.elementsEqual("event: funnel".utf8) {
                isFunnel = true
            } else if line.starts(with: "data: ".utf8) {
                data += line.dropFirst(6)
            }
        }
        guard isFunnel else { return }
        struct Leads: Decodable { var leads: Int }
        guard let report = try? JSONDecoder().decode(Leads.self, from: Data(data)) else {
            state.withLock { $0.failure = $0.failure ?? "a funnel event is not a report: \(String(decoding: data.prefix(200), as: UTF8.self))" }
            return
        }
        state.withLock { $0.reports.append(Report(at: arrived, leads: report.leads)) }
    }
}
