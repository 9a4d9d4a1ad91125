import Testing
import LinearAlgebra
import Foundation
@testable import LeadModel
@testable import LeadSupport

/// Collinearity groups (GVIF, condition number) and single-column leak checks.
@Suite struct DesignDiagnosticsTests {
    /// Columns: x1, x2, x3 = x1 + x2 + small noise, x4 independent; a 3-level categorical (terms 4, 5)
    /// that decides y almost always when `leak`; intercept last.
    static func problem(_ n: Int, noise: Double, leak: Bool) -> (EncodedRows, [Double], [DesignDiagnostics.Column]) {
        var x = Matrix(rows: n, cols: 7)
        var y = [Double](repeating: 0, count: n)
        var rng = SplitMix64(seed: 11)
        for i in 0..<n {
            let a = rng.normal(), b = rng.normal()
            x[i, 0] = a
            x[i, 1] = b
            x[i, 2] = a + b + noise * rng.normal()
            x[i, 3] = rng.normal()
            let level = Int(rng.uniform() * 3)
            if level > 0 { x[i, 3 + level] = 1 }
            x[i, 6] = 1
            let eta = 0.5 * a - 0.3 * x[i, 3]
            y[i] = rng.uniform() < StableMath.sigmoid(eta) ? 1 : 0
            if leak { y[i] = rng.uniform() < 0.98 ? (level == 2 ? 1 : 0) : 1 - (level == 2 ? 1 : 0) }
        }
        let columns = [
            DesignDiagnostics.Column(name: "x1", terms: [0], categorical: false),
            DesignDiagnostics.Column(name: "x2", terms: [1], categorical: false),
            DesignDiagnostics.Column(name: "x3", terms: [2], categorical: false),
            DesignDiagnostics.Column(name: "x4", terms: [3], categorical: false),
            DesignDiagnostics.Column(name: "stage", terms: [4, 5], categorical: true),
        ]
        return (EncodedRows(matrix: x, indicatorGroups: [[4, 5]]), y, columns)
    }

    @Test func nearlyDependentColumnsFormOneGroup() {
        let (data, y, columns) = Self.problem(4000, noise: 0.05, leak: false)
        let d = DesignDiagnostics.run(data: data, y: y, columns: columns)
        #expect(d.groups.count == 1)
        #expect(d.groups.first?.columns == ["x1", "x2", "x3"])
        #expect((d.inflation["x4"] ?? 99) < 1.1)
        #expect((d.inflation["stage"] ?? 99) < 1.1)
        #expect((d.conditionNumber ?? 0) > 30)
        #expect(d.notices.contains { $0.hasPrefix("collinear group: 'x1'") && $0.contains("'x3'") })
    }

    @Test func noGroupWithoutDependence() {
        let (data, y, columns) = Self.problem(4000, noise: 3, leak: false)
        let d = DesignDiagnostics.run(data: data, y: y, columns: columns)
        #expect(d.groups.isEmpty)
        #expect((d.conditionNumber ?? 99) < 30)
    }

    /// With one number against another, VIF = 1 / (1 − r²), r computed here from the data.
    @Test func singleTermInflationIsTheClassicVIF() {
        let n = 3000
        var x = Matrix(rows: n, cols: 3)
        var rng = SplitMix64(seed: 5)
        for i in 0..<n {
            let a = rng.normal()
            x[i, 0] = a
            x[i, 1] = 0.7 * a + 0.5 * rng.normal()
            x[i, 2] = 1
        }
        let a = x.column(0), b = x.column(1)
        let ma = a.reduce(0, +) / Double(n), mb = b.reduce(0, +) / Double(n)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in 0..<n { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
        let r = sab / (saa * sbb).squareRoot()
        let d = DesignDiagnostics.run(data: EncodedRows(matrix: x), y: [Double](repeating: 0, count: n),
                                      columns: [.init(name: "a", terms: [0], categorical: false),
                                                .init(name: "b", terms: [1], categorical: false)])
        #expect(abs(d.inflation["a"]! - 1 / (1 - r * r)) < 1e-6)
        #expect(abs(d.inflation["b"]! - 1 / (1 - r * r)) < 1e-6)
    }

    @Test func aColumnThatDecidesTheOutcomeIsAPossibleLeak() {
        let (data, y, columns) = Self.problem(4000, noise: 3, leak: true)
        let d = DesignDiagnostics.run(data: data, y: y, columns: columns)
        #expect(d.leaks.map(\.column) == ["stage"])
        #expect(d.leaks.first?.possibleLeak == true)
        #expect((d.leaks.first?.auc ?? 0) > 0.95)
        #expect(d.notices.contains { $0.hasPrefix("possible leak: column 'stage'") })
        let (clean, yc, cols) = Self.problem(4000, noise: 3, leak: false)
        #expect(DesignDiagnostics.run(data: clean, y: yc, columns: cols).leaks.isEmpty)
    }
}
