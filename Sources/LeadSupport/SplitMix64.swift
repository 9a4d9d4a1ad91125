/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast, seedable generator whose output is the same on
/// every platform, so seeded holdouts and synthetic data are reproducible (and replicable in Python).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// One step of the generator's output function applied to `x + golden gamma`.
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let out = SplitMix64.mix(state)
        state = state &+ 0x9E37_79B9_7F4A_7C15
        return out
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// The holdout draw for data row `index` under `seed`: uniform in [0, 1), a pure function of both,
    /// so the split is the same when the file is read twice, streamed, or replicated in a script:
    /// `u = (mix(mix(seed) + index) >> 11) · 2⁻⁵³`.
    public static func rowUniform(seed: UInt64, index: Int) -> Double {
        Double(mix(mix(seed) &+ UInt64(index)) >> 11) * 0x1p-53
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
@inline(__always) private func _log(_ x: Double) -> Double { log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { cos(x) }
