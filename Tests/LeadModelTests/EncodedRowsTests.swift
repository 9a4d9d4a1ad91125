import Testing
import LinearAlgebra
import LeadData
@testable import LeadModel
@testable import LeadSupport

/// `EncodedRows` (one-hot groups as level indices) against the dense matrix of the same rows.
@Suite struct EncodedRowsTests {
    /// The bundled model's design, and the new leads encoded both ways by `RowEncoder`.
    static func encodeNewLeads() throws -> (design: Design, dense: Matrix, rows: EncodedRows, refused: [Int]) {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        o.timeColumn = "created_at"
        o.holdoutFraction = 0
        o.interactionsAuto = false
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
                    encoder.encode(v, row: i, into: .init(dense: d.baseAddress!, levels: l.baseAddress!, rows: n))
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
        #expect(direct.groupTerms == viaMatrix.groupTerms && direct.denseTerms == viaMatrix.denseTerms)
        #expect(direct.dense.storage == viaMatrix.dense.storage)
        #expect(direct.levels == viaMatrix.levels)
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
}
