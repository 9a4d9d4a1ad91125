import Foundation
import Testing
import LeadSupport

@Suite struct OncePerKeyTests {
    /// Many threads asking for the same keys: each key's value is made once, and every caller gets it.
    @Test func eachKeyIsMadeOnceWhateverTheCallers() {
        let once = OncePerKey<Int>()
        final class Counter: @unchecked Sendable { let lock = NSLock(); var calls: [String: Int] = [:] }
        let counter = Counter()
        var results = [Int](repeating: -1, count: 64)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            nonisolated(unsafe) let slots = base
            DispatchQueue.concurrentPerform(iterations: 64) { i in
                let key = "k\(i % 4)"
                slots[i] = once.value(for: key) {
                    counter.lock.withLock { counter.calls[key, default: 0] += 1 }
                    Thread.sleep(forTimeInterval: 0.01)  // callers of the same key arrive meanwhile
                    return i % 4 * 100
                }
            }
        }
        #expect(counter.calls == ["k0": 1, "k1": 1, "k2": 1, "k3": 1])
        #expect(results.enumerated().allSatisfy { $0.element == $0.offset % 4 * 100 })
    }

    /// A failed make leaves the key unset: the next caller makes it again.
    @Test func aThrowingMakeIsRetried() throws {
        struct Failed: Error {}
        let once = OncePerKey<String>()
        #expect(throws: Failed.self) { try once.value(for: "a") { throw Failed() } }
        #expect(try once.value(for: "a") { "made" } == "made")
        #expect(try once.value(for: "a") { "again" } == "made")
    }
}
