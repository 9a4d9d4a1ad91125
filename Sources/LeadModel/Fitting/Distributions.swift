#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Tail probabilities for Wald tests: normal and chi-square.
public enum Distributions {
    /// P(|Z| ≥ |z|) for a standard normal Z: erfc(|z| / √2).
    public static func twoSidedNormalP(_ z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }

    /// P(X ≥ x) for X ~ χ²(df): the regularized upper incomplete gamma Q(df/2, x/2).
    public static func chiSquareSurvival(_ x: Double, df: Int) -> Double {
        precondition(df > 0, "chi-square needs df > 0")
        if x <= 0 { return 1 }
        return regularizedGammaQ(Double(df) / 2, x / 2)
    }

    /// Q(a, x) = Γ(a, x) / Γ(a): a power series for P when x < a + 1, Lentz's continued fraction for Q
    /// otherwise (both converge fast in their region; relative accuracy ~1e-14).
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        if x < a + 1 {
            var sum = 1 / a
            var term = sum
            var n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            let p = sum * exp(-x + a * log(x) - lgamma(a))
            return max(0, 1 - p)
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }
}
