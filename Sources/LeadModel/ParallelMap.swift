import Foundation

/// How many threads bulk scoring uses: the cores available (at most 8), or LEADSCORE_THREADS.
public enum ScoringThreads {
    public static var `default`: Int {
        if let v = ProcessInfo.processInfo.environment["LEADSCORE_THREADS"], let n = Int(v), n >= 1 { return n }
        return min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }
}

/// Runs `count` independent jobs on up to `threads` threads and returns their results in order.
enum ParallelMap {
    static func run<T: Sendable>(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
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
final class BatchJob<T: Sendable>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var results: [T] = []

    static func launch(count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> BatchJob<T> {
        let job = BatchJob<T>()
        job.group.enter()
        DispatchQueue.global().async {
            job.results = ParallelMap.run(count, threads: threads, body)
            job.group.leave()
        }
        return job
    }

    func wait() -> [T] {
        group.wait()
        return results
    }
}
