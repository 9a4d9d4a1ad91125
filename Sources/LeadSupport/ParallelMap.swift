import Foundation

/// How many threads bulk work (scoring, training's passes, the solver's sums) uses: the cores
/// available (at most 8), unless the program set another count at start (`leadscore` sets it from
/// LEADSCORE_THREADS in `main.swift`: the environment is the program's business, not the library's).
public enum ScoringThreads {
    /// The most LEADSCORE_THREADS may ask for: scoring holds two 1 MB chunks per thread in memory,
    /// so a mistyped 100000 would otherwise read 200 GB ahead.
    public static let maximum = 64

    /// The cores available, at most 8.
    public static var available: Int { min(8, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    /// The count in use: the one set, or `available`.
    public static var `default`: Int { setting.value ?? available }

    /// Sets the count for the rest of the process (nil: back to `available`). Call it before any work.
    public static func set(_ threads: Int?) { setting.value = threads.map { min(maximum, max(1, $0)) } }

    /// A LEADSCORE_THREADS value: a whole number from 1 to `maximum`, else nil.
    public static func parse(_ text: String) -> Int? {
        guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), (1...maximum).contains(n) else { return nil }
        return n
    }

    private static let setting = Setting()

    private final class Setting: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Int?
        var value: Int? {
            get { lock.lock(); defer { lock.unlock() }; return stored }
            set { lock.lock(); stored = newValue; lock.unlock() }
        }
    }
}

/// Runs `count` independent jobs on up to `threads` threads and returns their results in order.
package enum ParallelMap {
    package static func run<T: Sendable>(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        if count == 1 || threads <= 1 { return (0..<count).map(body) }
        let slots = ResultSlots<T>(count)
        DispatchQueue.concurrentPerform(iterations: count) { k in slots.set(k, body(k)) }
        return slots.values()
    }
}

private final class ResultSlots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()
    init(_ n: Int) { storage = Array(repeating: nil, count: n) }
    func set(_ k: Int, _ v: T) { lock.lock(); storage[k] = v; lock.unlock() }
    func values() -> [T] { storage.map { $0! } }
}

/// A batch of jobs running in the background; `wait()` returns their results in order.
package final class BatchJob<T: Sendable>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var results: [T] = []

    package static func launch(count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> BatchJob<T> {
        let job = BatchJob<T>()
        job.group.enter()
        DispatchQueue.global().async {
            job.results = ParallelMap.run(count, threads: threads, body)
            job.group.leave()
        }
        return job
    }

    package func wait() -> [T] {
        group.wait()
        return results
    }
}
