import Foundation

/// How many threads bulk scoring uses: the cores available (at most 8), or LEADSCORE_THREADS.
public enum ScoringThreads {
    /// The most LEADSCORE_THREADS may ask for: scoring holds two 1 MB chunks per thread in memory,
    /// so a mistyped 100000 would otherwise read 200 GB ahead.
    public static let maximum = 64

    public static var `default`: Int {
        if let v = ProcessInfo.processInfo.environment["LEADSCORE_THREADS"], let n = parse(v) { return n }
        return min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// A LEADSCORE_THREADS value: a whole number from 1 to `maximum`, else nil.
    public static func parse(_ text: String) -> Int? {
        guard let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), (1...maximum).contains(n) else { return nil }
        return n
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
