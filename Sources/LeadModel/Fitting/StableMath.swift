#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Numerically stable pieces of the logistic loss, in one place.
public enum StableMath {
    /// log(1 + eˣ) without overflow or loss of precision.
    ///
    /// Cut-offs (as in scikit-learn's `_loss.pyx`): for x ≤ −37, eˣ < 2⁻⁵³ so log1p(eˣ) = eˣ to double
    /// precision; for x > 18, log(1 + eˣ) = x + e⁻ˣ to double precision; in between, log1p(exp(x)).
    @inline(__always)
    public static func log1pexp(_ x: Double) -> Double {
        if x <= -37 { return exp(x) }
        if x <= 18 { return log1p(exp(x)) }
        if x <= 33.3 { return x + exp(-x) }
        return x
    }

    /// σ(x) = 1 / (1 + e⁻ˣ), branching on the sign so exp never overflows.
    @inline(__always)
    public static func sigmoid(_ x: Double) -> Double {
        if x >= 0 {
            return 1 / (1 + exp(-x))
        }
        let e = exp(x)
        return e / (1 + e)
    }

    /// log(p / (1 − p)).
    @inline(__always)
    public static func logit(_ p: Double) -> Double { log(p) - log1p(-p) }
}
