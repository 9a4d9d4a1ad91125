import Foundation
import LeadData
import LeadSupport
import PropertyBased
import Testing

/// `FieldParser.number` converts most decimals without `strtod` (Clinger's fast path) and must give
/// the very double `strtod` gives, bit for bit, for every decimal its grammar accepts: random decimals
/// of every shape (digits, point, exponent, signs, leading zeros, 1–25 significant digits, exponents
/// around the fast path's ±22 and far beyond), and the edge cases by name.
@Suite struct NumberParsingPropertyTests {
    static func parsed(_ s: String) -> FieldParser.NumberResult {
        var b = Array(s.utf8)
        return b.withUnsafeMutableBufferPointer { FieldParser.number(UnsafeBufferPointer($0)) }
    }

    static func expectSameAsStrtod(_ s: String) {
        let reference = strtod(s, nil)
        switch parsed(s) {
        case .value(let v):
            #expect(v.bitPattern == reference.bitPattern, "\(s): \(v) vs strtod \(reference)")
        case .outOfRange:
            #expect(!reference.isFinite, "\(s) out of range, strtod \(reference)")
        case .notANumber:
            Issue.record("\(s) refused")
        }
    }

    /// A random decimal in `number`'s grammar.
    static func decimal<G: RandomNumberGenerator>(_ g: inout G) -> String {
        var s = ""
        switch Int.random(in: 0..<4, using: &g) {
        case 0: s += "-"
        case 1: s += "+"
        default: break
        }
        if Int.random(in: 0..<5, using: &g) == 0 { s += String(repeating: "0", count: Int.random(in: 1...3, using: &g)) }
        let digits = Int.random(in: 1...25, using: &g)
        let pointAt = Int.random(in: -1...digits, using: &g)  // -1: no point
        var body = ""
        for k in 0..<digits {
            // Runs of 9s and 0s meet the rounding boundaries more often than uniform digits.
            let kind = Int.random(in: 0..<6, using: &g)
            body += kind == 0 ? "9" : kind == 1 ? "0" : String(Int.random(in: 0...9, using: &g))
            if k + 1 == pointAt { body += "." }
        }
        if pointAt == 0 { body = "." + body }
        s += body
        if Int.random(in: 0..<2, using: &g) == 0 {
            s += Bool.random(using: &g) ? "e" : "E"
            switch Int.random(in: 0..<3, using: &g) {
            case 0: s += "-"
            case 1: s += "+"
            default: break
            }
            let range = Int.random(in: 0..<4, using: &g) == 0 ? 0...330 : 0...30
            s += String(Int.random(in: range, using: &g))
        }
        return s
    }

    @Test func randomDecimalsGiveStrtodsDouble() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...1_000_000_000)) { seed in
            var g = SplitMix64(seed: UInt64(seed))
            for _ in 0..<500 { Self.expectSameAsStrtod(Self.decimal(&g)) }
        }
    }

    /// Doubles printed shortest and with 17 digits read back through both paths.
    @Test func printedDoublesGiveStrtodsDouble() async {
        await propertyCheck(count: 100, input: Gen.int(in: 1...1_000_000_000)) { seed in
            var g = SplitMix64(seed: UInt64(seed))
            for _ in 0..<200 {
                let x = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &g) >> 2)  // finite, positive
                let scaled = x * Double.random(in: 1e-30...1e30, using: &g)
                guard scaled.isFinite else { continue }
                Self.expectSameAsStrtod("\(scaled)")
                Self.expectSameAsStrtod(String(format: "%.17g", scaled))
                Self.expectSameAsStrtod(String(format: "%.6f", scaled))
            }
        }
    }

    @Test func edgeCases() {
        for s in ["0", "-0", "+0", "0.0", "-0.0e5", "0e400", "-0e-400", "000.000", "1", "9007199254740992", "9007199254740993",
                  "9007199254740991", "18014398509481985", "1e22", "1e23", "-1e22", "9007199254740992e22", "9007199254740993e-22",
                  "1e-22", "1e-23", "0.1", "0.2", "0.3", "123456789012345678", "1234567890123456789", "12345678901234567890",
                  "0.000000000000000000000000001", "4.9e-324", "2.2250738585072011e-308", "2.2250738585072014e-308",
                  "1.7976931348623157e308", "1.7976931348623158e308", "5e-324", "2e-324", ".5", "5.", "+.5e+1", "1E5",
                  "89255.0e-22", "8.589973e9", "3.14159265358979323846", "0.30000000000000004", "1.0000000000000002",
                  "99999999999999999999999", "0000000000000000000000000000000000000001", "1" + String(repeating: "0", count: 22),
                  "1" + String(repeating: "0", count: 30) + "e-30", "4503599627370497.5", "4503599627370496.5"] {
            Self.expectSameAsStrtod(s)
        }
        #expect(Self.parsed("1e309") == .outOfRange)
        #expect(Self.parsed("-1e99999999999999999999") == .outOfRange)
        if case .value(let z) = Self.parsed("-0e5") { #expect(z.sign == .minus) } else { Issue.record("-0e5") }
    }
}
