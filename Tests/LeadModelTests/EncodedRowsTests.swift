import Testing
import LinearAlgebra
import LeadData
@testable import LeadModel
@testable import LeadSupport

/// `EncodedRows` (one-hot groups as level indices) against the dense matrix of the same rows.
@Suite struct EncodedRowsTests {
    /// The bundled model's design, and the new leads encoded both ways by `RowEncoder`.
    static func encodeNewLeads(allSteps: Bool = false) throws -> (design: Design, dense: Matrix, rows: EncodedRows, refused: [Int]) {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        o.timeColumn = "created_at"
        o.holdoutFraction = 0
        o.interactionsAuto = false
        if allSteps {
            o.shapes.numeric = .bins
            o.lambdaAuto = false
        }
        let design = try TrainedOnce.model(o).design
        let reader = try CSVReader(path: Paths.newLeads)
        let header = try reader.readHeader()
        let resolver = try RowResolver(design: design, header: header, file: Paths.newLeads, parser: FieldParser(extraMissing: []))
        var all: [[ResolvedValue]] = []
        var record = CSVRecord()
        var values: [ResolvedValue] = []
        while try reader.next(into: &record) {
            try resolver.resolve(record, into: &values)
            all.append(values)
        }
        let encoder = RowEncoder(design: design)
        var dense = Matrix(rows: all.count, cols: design.termCount + 1)
        var rows = EncodedRows(design: design, rows: all.count)
        var refused: [Int] = []
        let n = all.count
        for (i, v) in all.enumerated() {
            encoder.encode(v, row: i, into: &dense)
            let ok = rows.dense.storage.withUnsafeMutableBufferPointer { d in
                rows.levels.withUnsafeMutableBufferPointer { l in
                    rows.steps.withUnsafeMutableBufferPointer { s in
                        encoder.encode(v, row: i, into: .init(dense: d.baseAddress!, levels: l.baseAddress!, steps: s.baseAddress, rows: n))
                    }
                }
            }
            if !ok { refused.append(i) }
        }
        return (design, dense, rows, refused)
    }

    @Test func encodedRowsHoldTheDenseMatrix() throws {
        let (design, dense, rows, refused) = try Self.encodeNewLeads()
        #expect(rows.groupTerms == design.indicatorGroups)
        #expect(rows.groupTerms.count == design.columns.filter { $0.type == .categorical }.count)
        // A row is refused only for a level the design never saw, spread over the average level.
        for i in refused {
            #expect((0..<dense.cols).contains { j in dense[i, j] > 0 && dense[i, j] < 1 && !rows.denseTerms.contains(j) })
        }
        let m = rows.matrix()
        let refusedSet = Set(refused)
        var compared = 0
        for i in 0..<dense.rows where !refusedSet.contains(i) {
            for j in 0..<dense.cols { #expect(m[i, j] == dense[i, j], "row \(i), column \(j)") }
            compared += 1
        }
        #expect(compared > 4000)
    }

    /// `EncodedRows(design:rows:values:)` (what the reason models of `patterns` fit on) writes the
    /// same rows as the dense matrix's one-hot groups read back, and refuses a set holding a lead no
    /// level index can hold.
    @Test func rowsEncodedFromValuesEqualTheMatrixPath() throws {
        let (design, dense, _, refused) = try Self.encodeNewLeads()
        let refusedSet = Set(refused)
        let kept = (0..<dense.rows).filter { !refusedSet.contains($0) }
        var subset = Matrix(rows: kept.count, cols: dense.cols)
        for (r, i) in kept.enumerated() { for j in 0..<dense.cols { subset[r, j] = dense[i, j] } }
        let viaMatrix = EncodedRows(matrix: subset, indicatorGroups: design.indicatorGroups)
        // The values again, of the kept rows only.
        let reader = try CSVReader(path: Paths.newLeads)
        let resolver = try RowResolver(design: design, header: try reader.readHeader(), file: Paths.newLeads, parser: FieldParser())
        var all: [[ResolvedValue]] = []
        var record = CSVRecord(), values: [ResolvedValue] = []
        while try reader.next(into: &record) { try resolver.resolve(record, into: &values); all.append(values) }
        let direct = try #require(EncodedRows(design: design, rows: kept.count) { all[kept[$0]] })
        #expect(direct.groupTerms == viaMatrix.groupTerms)
        #expect(direct.levels == viaMatrix.levels)
        // The step function's terms are its bins in `direct`, dense columns in `viaMatrix`.
        #expect(direct.stepTables == design.stepTables && !direct.stepTables.isEmpty)
        #expect(direct.matrix() == viaMatrix.matrix())
        // A level never seen in a column without an (other) group is spread over the average level.
        let c = try #require(design.columns.firstIndex { col in
            col.categorical.map { !$0.groups.contains { $0.value == ColumnEncoding.otherName } } ?? false
        })
        var unseen = all[0]
        unseen[c] = .unseen
        #expect(EncodedRows(design: design, rows: 2) { [all[0], unseen][$0] } == nil)
        #expect(EncodedRows(design: design, rows: 0) { _ in [] }?.rows == 0)
    }

    @Test func operationsAgreeWithTheDenseMatrix() throws {
        // Any 0/1 one-hot X: the new leads' rows that encode exactly, wrapped from the dense matrix.
        let (design, dense, _, _) = try Self.encodeNewLeads()
        let rows = EncodedRows(matrix: dense, indicatorGroups: design.indicatorGroups)
        let wrapped = rows.groupTerms.count
        #expect(wrapped >= 1)
        #expect(rows.matrix() == dense)
        var rng = SplitMix64(seed: 12)
        let beta = (0..<dense.cols).map { _ in rng.normal() }
        let eta = rows.times(beta)
        let reference = dense.times(beta)
        for i in 0..<dense.rows { #expect(abs(eta[i] - reference[i]) <= 1e-12 * max(1, abs(reference[i]))) }
        let means = rows.columnMeans()
        for j in 0..<dense.cols {
            let column = dense.column(j)
            #expect(abs(means[j] - column.reduce(0, +) / Double(dense.rows)) <= 1e-12)
            #expect(rows.column(j) == column)
        }
        let y = (0..<dense.rows).map { Double($0 % 3 == 0 ? 1 : 0) }
        for (t, tally) in rows.levelTallies(y) {
            let column = dense.column(t)
            #expect(tally.count == column.reduce(0, +))
            #expect(tally.sum == zip(column, y).reduce(0) { $0 + $1.0 * $1.1 })
        }
        // One column's terms (as the drivers importance uses them), and a subset of a group.
        for col in design.columns where !col.terms.isEmpty {
            for terms in [col.terms, Array(col.terms.prefix(1))] {
                let combined = rows.combination(beta, terms: terms)
                for i in stride(from: 0, to: dense.rows, by: 7) {
                    let expected = terms.reduce(0.0) { $0 + beta[$1] * dense[i, $1] }
                    #expect(abs(combined[i] - expected) <= 1e-12 * max(1, abs(expected)))
                }
            }
        }
        #expect(rows.topRows(100).matrix() == dense.topRows(100))
    }

    /// A step function kept as each row's bin (`EncodedRows.steps`, `StepTable`): the same X as its
    /// dense terms, in every operation and in the objective's gradient and XᵀWX.
    @Test(arguments: [false, true])
    func stepFunctionsAsBinsAgreeWithTheirDenseTerms(allSteps: Bool) throws {
        let (design, dense, rows, refused) = try Self.encodeNewLeads(allSteps: allSteps)
        let tables = design.stepTables
        // The default: company_size alone as steps; with --numeric bins every numeric column, so
        // the step × step blocks of XᵀWX between two step functions are checked too.
        #expect(tables.count == (allSteps ? 4 : 1))
        let table = try #require(tables.first)
        #expect(table.terms.count >= 5 && table.states == table.terms.count + 1)
        #expect(rows.stepTables == tables && rows.denseTerms.allSatisfy { rows.stepOf[$0] < 0 })
        let kept = (0..<dense.rows).filter { !Set(refused).contains($0) }
        var x = Matrix(rows: kept.count, cols: dense.cols)
        for (r, i) in kept.enumerated() { for j in 0..<dense.cols { x[r, j] = dense[i, j] } }
        let binned = rows.selecting(kept)
        #expect(binned.matrix() == x)
        // Every bin is used, and a missing value (bin −1) has every step term 0.
        #expect(Set(binned.steps.filter { $0 >= 0 }).count > table.states / 2)
        var rng = SplitMix64(seed: 5)
        let beta = (0..<x.cols).map { _ in rng.normal() }
        let eta = binned.times(beta), reference = x.times(beta)
        for i in 0..<x.rows { #expect(abs(eta[i] - reference[i]) <= 1e-12 * max(1, abs(reference[i]))) }
        let means = binned.columnMeans()
        for t in table.terms {
            let column = x.column(t)
            #expect(binned.column(t) == column)
            #expect(abs(means[t] - column.reduce(0, +) / Double(x.rows)) <= 1e-12)
        }
        let terms = Array(table.terms.prefix(7)) + [0, x.cols - 1]
        let part = binned.combination(beta, terms: terms)
        for i in 0..<x.rows {
            let expected = terms.reduce(0.0) { $0 + beta[$1] * x[i, $1] }
            #expect(abs(part[i] - expected) <= 1e-12 * max(1, abs(expected)))
        }
        #expect(binned.topRows(50).matrix() == x.topRows(50))
        // The objective sums by bin and maps back: the dense objective's gradient and XᵀWX.
        let y = (0..<x.rows).map { Double(($0 * 7) % 5 < 2 ? 1 : 0) }
        let w = (0..<x.rows).map { 0.5 + Double($0 % 3) }
        let weights = design.penaltyWeights
        let stepped = LogisticObjective(data: binned, y: y, weights: w, lambda: 0.8, penaltyWeights: weights)
        let plain = LogisticObjective(data: EncodedRows(matrix: x, indicatorGroups: design.indicatorGroups), y: y, weights: w,
                                      lambda: 0.8, penaltyWeights: weights)
        let small = beta.map { $0 * 0.1 }
        let (e1, v1) = stepped.evaluate(small), (e2, v2) = plain.evaluate(small)
        #expect(abs(v1 - v2) <= 1e-9 * abs(v2))
        let (g1, h1) = stepped.gradientAndHessian(small, eta: e1)
        let (g2, h2) = plain.gradientAndHessian(small, eta: e2)
        let scale = h2.storage.map(abs).max()!
        for j in 0..<x.cols { #expect(abs(g1[j] - g2[j]) <= 1e-9 * max(1, abs(g2[j])), "gradient \(j)") }
        var worst = 0.0
        for j in 0..<(x.cols * x.cols) { worst = max(worst, abs(h1.storage[j] - h2.storage[j])) }
        #expect(worst <= 1e-11 * scale, "XᵀWX differs by \(worst) (largest entry \(scale))")
        #expect(stepped.gradient(small, eta: e1).elementsEqual(g1))
        // And the fits agree.
        let a = LogisticFit.fit(data: binned, y: y, weights: w, lambda: 0.8, penaltyWeights: weights)
        let b = LogisticFit.fit(data: plain.data, y: y, weights: w, lambda: 0.8, penaltyWeights: weights)
        #expect(a.beta.count == b.beta.count)
        for j in a.beta.indices { #expect(abs(a.beta[j] - b.beta[j]) <= 1e-8 * max(1, abs(b.beta[j]))) }
    }
}
