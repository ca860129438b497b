import Contracts
import Foundation
import Testing

@testable import Messaging

// Not covered here: `PSQLError` and `PostgresTransactionError`. postgres-nio (1.33) offers no public
// initialiser for either (`PSQLError.init(code:)`, `.server(_:)`, `serverInfo`'s setter and
// `PostgresTransactionError`'s memberwise init are all internal), so neither a server error with
// an SQLSTATE nor a client-side connection error can be built without a database. Those branches
// of `FailureKind.of` are left to the tests that run against PostgreSQL.

@Suite("Failure kinds")
struct FailureKindTests {
    private struct SomethingWentWrong: Error {}
    private enum HandlerError: Error { case oops(String) }

    @Test("a handler's EventRejected is permanent")
    func rejected() {
        #expect(FailureKind.of(EventRejected("price below zero")) == .permanent)
        #expect(FailureKind.of(EventRejected("")) == .permanent)
    }

    @Test("envelope errors are permanent")
    func envelope() {
        #expect(FailureKind.of(EnvelopeError.malformedEnvelope("not JSON")) == .permanent)
        #expect(FailureKind.of(EnvelopeError.malformedPayload(type: "X", version: 1, reason: "missing field a")) == .permanent)
    }

    @Test("an envelope error as decoding actually produces it is permanent")
    func realEnvelopeError() throws {
        guard case .failure(let error) = EventEnvelope.decode(Array("not json".utf8)) else {
            Issue.record("decoded garbage")
            return
        }
        #expect(FailureKind.of(error) == .permanent)
    }

    @Test("decoding errors are permanent")
    func decoding() {
        let context = DecodingError.Context(codingPath: [], debugDescription: "bad")
        #expect(FailureKind.of(DecodingError.dataCorrupted(context)) == .permanent)
        #expect(FailureKind.of(DecodingError.typeMismatch(Int.self, context)) == .permanent)
        #expect(FailureKind.of(DecodingError.valueNotFound(String.self, context)) == .permanent)

        struct Shape: Decodable { var a: Int }
        do {
            _ = try JSONDecoder().decode(Shape.self, from: Data(#"{"b":1}"#.utf8))
            Issue.record("decoded a wrong shape")
        } catch {
            #expect(error is DecodingError)
            #expect(FailureKind.of(error) == .permanent)
        }
    }

    @Test("cancellation is transient")
    func cancellation() {
        #expect(FailureKind.of(CancellationError()) == .transient)
    }

    @Test("an attempt that timed out is transient")
    func attemptTimedOut() {
        #expect(FailureKind.of(AttemptTimedOut(after: .seconds(5))) == .transient)
    }

    @Test("the error thrown by a cancelled task is transient")
    func cancelledTask() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try Task.checkCancellation()
        }
        do {
            try await task.value
            Issue.record("not cancelled")
        } catch {
            #expect(FailureKind.of(error) == .transient)
        }
    }

    @Test("anything else is unknown")
    func unknown() {
        #expect(FailureKind.of(SomethingWentWrong()) == .unknown)
        #expect(FailureKind.of(HandlerError.oops("x")) == .unknown)
        #expect(FailureKind.of(NSError(domain: "test", code: 1)) == .unknown)
        #expect(FailureKind.of(CocoaError(.fileNoSuchFile)) == .unknown)
    }

    @Test("an error wrapped as `any Error` is classified by its dynamic type")
    func existential() {
        let errors: [any Error] = [EventRejected("x"), CancellationError(), SomethingWentWrong()]
        #expect(errors.map(FailureKind.of) == [.permanent, .transient, .unknown])
    }
}
