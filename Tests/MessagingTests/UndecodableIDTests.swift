import Foundation
import Testing

@testable import Messaging

/// Bytes that are no event are recorded in the inbox under an id derived from where they were read.
@Suite("The inbox id of undecodable bytes")
struct UndecodableIDTests {
    static func message(offset: Int64, value: String, partition: Int32 = 0) -> ConsumedMessage {
        ConsumedMessage(topic: "dms.test.v1", partition: partition, offset: offset, key: nil, value: Array(value.utf8), generation: 1)
    }

    @Test("the same message read again gets the same id; another offset, partition or bytes another one")
    func derived() {
        let id = InboxConsumer.undecodableID(Self.message(offset: 7, value: "garbage"))
        #expect(InboxConsumer.undecodableID(Self.message(offset: 7, value: "garbage")) == id)
        #expect(InboxConsumer.undecodableID(Self.message(offset: 8, value: "garbage")) != id)
        #expect(InboxConsumer.undecodableID(Self.message(offset: 7, value: "garbage", partition: 1)) != id)
        #expect(InboxConsumer.undecodableID(Self.message(offset: 7, value: "garbagE")) != id)
    }

    @Test("the id is a version-8 UUID of the RFC 9562 variant")
    func shape() {
        let text = InboxConsumer.undecodableID(Self.message(offset: 0, value: "")).uuidString
        let characters = Array(text)
        #expect(characters[14] == "8", "\(text)")
        #expect("89AB".contains(characters[19]), "\(text)")
    }
}
