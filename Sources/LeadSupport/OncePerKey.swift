import Foundation

/// Values computed at most once per key, from any number of threads: the first caller for a key
/// computes the value, and every later caller (or one arriving meanwhile, which waits) gets that
/// same value. Different keys compute side by side. The test suites share their trained models
/// through it: training is deterministic, so one fit serves every test that asks for it.
public final class OncePerKey<Value>: @unchecked Sendable {
    private final class Entry {
        let lock = NSLock()
        var value: Value?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init() {}

    /// The value for `key`, made by `make` if no caller has made it yet. A `make` that throws
    /// leaves the key unset, so the next caller tries again.
    public func value(for key: String, _ make: () throws -> Value) rethrows -> Value {
        let entry = lock.withLock {
            if let e = entries[key] { return e }
            let e = Entry()
            entries[key] = e
            return e
        }
        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let value = entry.value { return value }
        let value = try make()
        entry.value = value
        return value
    }
}
