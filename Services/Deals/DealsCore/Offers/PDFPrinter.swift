import Foundation
import Synchronization

/// Prints HTML to PDF with an external renderer (Debian's `weasyprint` by default:
/// `DMS_DEALS_PDF_COMMAND`), run as a subprocess on temporary files. Waiting happens through the
/// process's termination handler, so no cooperative thread is blocked.
struct PDFPrinter: Sendable {
    var command: String = "weasyprint"
    var timeout: Duration = .seconds(60)

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    func pdf(fromHTML html: String) async throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dms-offer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("offer.html")
        let output = directory.appendingPathComponent("offer.pdf")
        let errors = directory.appendingPathComponent("stderr.txt")
        try Data(html.utf8).write(to: input)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let running = RunningPID()
        let arguments = [command, input.path, output.path]
        let status: Int32 = try await withThrowingTaskGroup(of: Int32.self) { group in
            group.addTask { [command] in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = arguments
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: errors)
                return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
                    process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                    do {
                        try process.run()
                        running.set(process.processIdentifier)
                    } catch {
                        process.terminationHandler = nil
                        continuation.resume(throwing: Failed(description: "\(command) could not be started: \(error)"))
                    }
                }
            }
            group.addTask { [timeout, command] in
                try await Task.sleep(for: timeout)
                running.kill()
                throw Failed(description: "\(command) took longer than \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        guard status == 0, let data = FileManager.default.contents(atPath: output.path), !data.isEmpty else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Failed(description: "\(command) exited \(status): \(message.suffix(500))")
        }
        return Array(data)
    }
}

/// The renderer's process id, for the timeout to kill it.
private final class RunningPID: Sendable {
    private let pid = Mutex<Int32?>(nil)

    func set(_ value: Int32) { pid.withLock { $0 = value } }

    func kill() {
        if let value = pid.withLock({ $0 }) { _ = Foundation.kill(value, SIGKILL) }
    }
}
