import Contracts
import Foundation
import Testing

@testable import IngestCore

/// The legs of one inbound call: the DID rings extension 201 (no answer) and 202 (answers).
enum SampleCall {
    static let linked = "1732528800.100"
    static let events: [PBXCallEvent] = [
        PBXCallEvent(action: "dial", uniqueID: "1732528800.101", linkedID: linked, source: "+7 (495) 123-45-67",
                     destination: "201", did: "74951112233", start: "2024-11-25 10:00:00.000"),
        PBXCallEvent(action: "dial", uniqueID: "1732528800.102", linkedID: linked, source: "+7 (495) 123-45-67",
                     destination: "202", did: "74951112233", start: "2024-11-25 10:00:00.500"),
        PBXCallEvent(action: "dial_end", uniqueID: "1732528800.101", linkedID: linked, end: "2024-11-25 10:00:08.000",
                     disposition: "NOANSWER"),
        PBXCallEvent(action: "dial_answer", uniqueID: "1732528800.102", linkedID: linked, answer: "2024-11-25 10:00:07.000"),
        PBXCallEvent(action: "dial_end", uniqueID: "1732528800.102", linkedID: linked, end: "2024-11-25 10:02:07.000",
                     disposition: "ANSWERED", recordingFile: "/storage/monitor/2024/11/25/10/rec-102.mp3"),
        PBXCallEvent(action: "hangup", uniqueID: "1732528800.101", linkedID: linked),
    ]
}

@Suite("A PBX call assembled from its legs")
struct CallAssemblyTests {
    func assemble(_ events: [PBXCallEvent]) -> (Call, [Call.Milestone]) {
        var call = Call(linkedID: SampleCall.linked)
        var milestones: [Call.Milestone] = []
        for event in events { milestones += call.apply(event) }
        return (call, milestones)
    }

    @Test("all legs make one call record with direction, caller, DID, who answered, talk time and recording")
    func oneRecord() {
        let (call, milestones) = assemble(SampleCall.events)
        #expect(milestones == [.registered, .answered, .ended])
        #expect(call.legs.count == 2)
        #expect(call.direction == .inbound)
        #expect(call.caller == "+7 (495) 123-45-67")
        #expect(call.did == "74951112233")
        #expect(call.called == "74951112233")
        #expect(call.answeredBy == "202")
        #expect(call.talkSeconds == 120)
        #expect(call.recording == "/storage/monitor/2024/11/25/10/rec-102.mp3")
        #expect(call.isEnded)
    }

    @Test("events twice and in any order give the same record and each milestone once", arguments: 0..<40)
    func orderDoesNotMatter(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed + 1))
        var shuffled = (SampleCall.events + SampleCall.events.prefix(seed % 6)).shuffled(using: &generator)
        if seed % 3 == 0 { shuffled.reverse() }
        let (expected, _) = assemble(SampleCall.events)
        let (call, milestones) = assemble(shuffled)
        #expect(call == expected)
        #expect(Set(milestones) == [.registered, .answered, .ended])
        #expect(milestones.count == 3, "each milestone once: \(milestones)")
    }

    @Test("outbound and internal calls are told apart from inbound ones")
    func directions() {
        var outbound = Call(linkedID: "o")
        _ = outbound.apply(PBXCallEvent(action: "dial", uniqueID: "o.1", linkedID: "o", source: "201", destination: "+34912345678"))
        #expect(outbound.direction == .outbound)
        var internalCall = Call(linkedID: "i")
        _ = internalCall.apply(PBXCallEvent(action: "dial", uniqueID: "i.1", linkedID: "i", source: "201", destination: "202"))
        #expect(internalCall.direction == .internal)
    }

    @Test("a CDR row alone registers, answers and ends a call whose live events were lost")
    func cdrRowAlone() {
        var call = Call(linkedID: "c")
        let milestones = call.apply(PBXCallEvent(
            action: nil, uniqueID: "c.1", linkedID: "c", source: "84951234567", destination: "203", did: "74951112233",
            start: "2024-11-25 11:00:00", answer: "2024-11-25 11:00:05", end: "2024-11-25 11:01:05", disposition: "ANSWERED",
            duration: 65, billsec: 60))
        #expect(milestones == [.registered, .answered, .ended])
        #expect(call.talkSeconds == 60)
    }

    @Test("a missed call ends with no talk time and nobody answering")
    func missed() {
        let (call, milestones) = assemble(Array(SampleCall.events.prefix(3)) + [SampleCall.events[5]])
        #expect(milestones == [.registered, .ended])
        #expect(call.answeredBy == nil)
        #expect(call.talkSeconds == 0)
    }

    @Test("times in ISO 8601 with a zone are read as such; bad ones are reported")
    func times() {
        #expect(PBXTime.parse("2024-11-25T13:00:00+03:00") == PBXTime.parse("2024-11-25 10:00:00"))
        #expect(PBXCallEvent(action: "dial", uniqueID: "u", linkedID: "l", start: "yesterday").problems == ["start is not a time: yesterday"])
        #expect(PBXCallEvent(action: "dial", uniqueID: "", linkedID: "l").problems == ["UNIQUEID is empty"])
    }
}

/// A small deterministic generator so that shuffles are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
