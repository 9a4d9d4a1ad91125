/// The model flattened for the scoring loop: per column, what its value adds to the log-odds, with
/// every coefficient precomputed and no struct copies or reference counting per row.
///
/// Numeric: β · (x − mean)/sd, or the missing-indicator coefficient when missing. Categorical: one
/// precomputed log-odds per level group, plus the values for unseen and missing levels. It computes
/// exactly `Σ ColumnEncoding.logOdds` (same terms, same order of additions within a column).
public struct CompiledScorer: Sendable {
    enum Kind: UInt8 { case numeric, categorical, shape }
    let kinds: [Kind]
    /// Shape columns' encodings (nil for the others) and every term's coefficient, which they index.
    let shapes: [ShapeEncoding?]
    let terms: [Double]
    let beta: [Double]           // β (for the (x − mean)/sd form, to match the design exactly)
    let standardization: [Standardization]
    let missingValue: [Double]   // numeric: β·0 + γ; categorical: unused
    let unseenValue: [Double]    // categorical
    public let intercept: Double
    /// Σ β x̄ per column: the average training lead's log-odds from that column (see `Explainer`).
    let columnBase: [Double]
    /// Reason codes as bytes: per categorical group, for unseen levels, and for numeric high/low/missing
    /// (booleans: yes/no/missing), exactly the codes `Explainer.code` builds.
    let groupCodes: [[[UInt8]]]
    let unseenCode: [[UInt8]]
    let highCode: [[UInt8]]
    let lowCode: [[UInt8]]
    let missingCode: [[UInt8]]
    /// Contributions at or below this log-odds are reasons (`Explainer.minimumReasonPoints`).
    let reasonThreshold: Double
    /// Interactions (`Design.interactions`): per cell pair (a · width + b) its coefficient (0 without a
    /// term), and the average lead's log-odds from it.
    let interactions: [InteractionEncoding]
    let interactionValues: [[Double]]
    let interactionBase: [Double]
    /// Shape columns: the log-odds of every whole number from the first whole number of the training
    /// range on (at most `shapeTableSize` of them), each computed by `ShapeEncoding.logOdds` itself,
    /// so a lookup gives the same double as the basis would (lead data's numbers are mostly whole:
    /// counts, days, employees). Other values, and the other kinds, compute as before.
    let shapeTableStart: [Double]
    /// The tables one after another: column c's is `shapeTableCount[c]` values from `shapeTableOffset[c]`
    /// (flat, so the scoring loop reads them without retaining an inner array per lookup).
    let shapeTableValues: [Double]
    let shapeTableOffset: [Int]
    let shapeTableCount: [Double]
    static let shapeTableSize = 4096
    /// Categorical columns' log-odds per level group, flat the same way: column c's group g is
    /// `levelLogOdds[levelStart[c] + g]` (`groupValues(c)` gives one column's).
    let levelLogOdds: [Double]
    let levelStart: [Int]

    public init(model: LeadScoreModel) {
        let b = model.coefficients.terms
        let explainer = Explainer(model: model)
        var kinds: [Kind] = [], beta: [Double] = [], standardization: [Standardization] = [], shapes: [ShapeEncoding?] = []
        var missing: [Double] = [], groups: [[Double]] = [], unseen: [Double] = [], base: [Double] = []
        var gc: [[[UInt8]]] = [], uc: [[UInt8]] = [], hc: [[UInt8]] = [], lc: [[UInt8]] = [], mc: [[UInt8]] = []
        for (c, col) in model.design.columns.enumerated() {
            // Every table entry is `ColumnEncoding.logOdds` (the one value → terms definition) of a value.
            let lo: (ResolvedValue) -> Double = { v in b.withUnsafeBufferPointer { col.logOdds(v, beta: $0) } }
            func code(_ v: ResolvedValue) -> [UInt8] { Array(explainer.code(column: c, v, raw: "").utf8) }
            if case .shape(let e) = col.kind { shapes.append(e) } else { shapes.append(nil) }
            switch col.kind {
            case .shape(let e):
                kinds.append(.shape)
                beta.append(0)
                standardization.append(Standardization(mean: e.average, scale: 1))
                missing.append(lo(.missing))
                groups.append([])
                unseen.append(0)
                gc.append([]); uc.append([]); mc.append(code(.missing))
                hc.append(code(.number(e.average))); lc.append(code(.number(-.infinity)))
            case .numeric(let e), .boolean(let e):
                kinds.append(.numeric)
                beta.append(b[e.term])
                standardization.append(e.standardization)
                missing.append(lo(.missing))
                groups.append([])
                unseen.append(0)
                gc.append([]); uc.append([]); mc.append(code(.missing))
                if case .boolean = col.kind {
                    hc.append(code(.number(1))); lc.append(code(.number(0)))
                } else {
                    hc.append(code(.number(e.mean))); lc.append(code(.number(-.infinity)))
                }
            case .categorical(let e):
                kinds.append(.categorical)
                beta.append(0); standardization.append(Standardization(mean: 0, scale: 1)); missing.append(0)
                groups.append(e.groups.indices.map { lo(.level($0)) })
                unseen.append(lo(.unseen))
                gc.append(e.groups.indices.map { code(.level($0)) })
                uc.append(code(.unseen)); hc.append([]); lc.append([]); mc.append(code(.missing))
            }
            // contribution(v) = logOdds(v) − base, so base = logOdds(v) − contribution(v) for any v.
            let probe: ResolvedValue = col.categorical != nil ? .unseen : .missing
            base.append(lo(probe) - explainer.contribution(column: c, probe))
        }
        self.kinds = kinds
        self.shapes = shapes
        terms = b
        self.beta = beta
        self.standardization = standardization
        missingValue = missing
        unseenValue = unseen
        intercept = model.coefficients.intercept
        columnBase = base
        groupCodes = gc
        unseenCode = uc
        highCode = hc
        lowCode = lc
        missingCode = mc
        reasonThreshold = -Explainer.minimumReasonPoints / model.scorecard.factor
        var tableStart: [Double] = [], tables: [[Double]] = []
        for shape in shapes {
            guard let shape, shape.minimum.isFinite, shape.maximum.isFinite else { tableStart.append(.infinity); tables.append([]); continue }
            let first = shape.minimum.rounded(.up)
            let count = first <= shape.maximum ? Int(min(shape.maximum - first + 1, Double(CompiledScorer.shapeTableSize))) : 0
            tableStart.append(first)
            tables.append(b.withUnsafeBufferPointer { beta in (0..<count).map { shape.logOdds(first + Double($0), beta: beta) } })
        }
        shapeTableStart = tableStart
        shapeTableValues = tables.flatMap { $0 }
        shapeTableOffset = tables.indices.map { c in tables[..<c].reduce(0) { $0 + $1.count } }
        shapeTableCount = tables.map { Double($0.count) }
        levelLogOdds = groups.flatMap { $0 }
        levelStart = groups.indices.map { c in groups[..<c].reduce(0) { $0 + $1.count } }
        let pairs = model.design.interactions ?? []
        interactions = pairs
        interactionValues = pairs.map { i in i.termTable().map { $0 >= 0 ? b[$0] : 0 } }
        // As for a column: value − contribution for a probe row (every column missing).
        let probe = [ResolvedValue](repeating: .missing, count: model.design.columns.count)
        interactionBase = pairs.indices.map { k in
            (pairs[k].term(probe).map { b[$0] } ?? 0) - explainer.interactionContribution(k, probe)
        }
    }

    /// The cell pair of interaction `k` for a row (index into `interactionValues[k]`).
    @inline(__always)
    func interactionCell(_ k: Int, _ values: UnsafeBufferPointer<ResolvedValue>) -> Int {
        let i = interactions[k]
        return i.first.cell(values[i.first.columnIndex]) * i.second.cellCount + i.second.cell(values[i.second.columnIndex])
    }

    /// Appends the codes of the `k` contributions that pull the score down most, each preceded by a
    /// comma, padding with empty fields to `k`: the `reason_1…reason_K` columns, computed without
    /// building Strings. Same selection and order as `Explainer.reasonCodes`.
    @inline(__always)
    public func appendReasonCodes(_ values: UnsafeBufferPointer<ResolvedValue>, k: Int, to out: inout [UInt8], json: Bool = false) {
        withUnsafeTemporaryAllocation(of: (Double, Int).self, capacity: max(k, 1)) { top in
            var n = 0
            for c in 0..<values.count {
                let v: Double
                switch values[c] {
                case .number(let x): v = numberLogOdds(c, x) - columnBase[c]
                case .missing: v = missingValue[c] - columnBase[c]
                case .level(let g): v = levelLogOdds[levelStart[c] + g] - columnBase[c]
                case .unseen: v = unseenValue[c] - columnBase[c]
                }
                guard v <= reasonThreshold else { continue }
                // Insertion into the k most negative so far, ties by column order.
                if n < k { top[n] = (v, c); n += 1 } else if v < top[n - 1].0 { top[n - 1] = (v, c) } else { continue }
                var i = n - 1
                while i > 0 && top[i].0 < top[i - 1].0 { top.swapAt(i, i - 1); i -= 1 }
            }
            // Interactions after the columns (index columns + k), as `Explainer.reasonCodes`.
            for q in interactions.indices {
                let v = interactionValues[q][interactionCell(q, values)] - interactionBase[q]
                guard v <= reasonThreshold else { continue }
                let c = values.count + q
                if n < k { top[n] = (v, c); n += 1 } else if v < top[n - 1].0 { top[n - 1] = (v, c) } else { continue }
                var i = n - 1
                while i > 0 && top[i].0 < top[i - 1].0 { top.swapAt(i, i - 1); i -= 1 }
            }
            for i in 0..<k {
                if json {
                    if i < n {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        let code = withCode(values, top[i].1) { String(decoding: $0, as: UTF8.self) }
                        out.append(contentsOf: JSONText.quoted(code).utf8)
                    }
                } else {
                    out.append(UInt8(ascii: ","))
                    if i < n { withCode(values, top[i].1) { CSVText.appendEscaped($0, to: &out) } }
                }
            }
        }
    }

    /// Calls `body` with the reason code of contribution `c` (a column, or interaction c − columns)
    /// of a row. The codes are lent in place, not returned as arrays: a returned array is a reference
    /// count bumped and dropped per reason, on arrays every worker shares.
    @inline(__always)
    func withCode<R>(_ values: UnsafeBufferPointer<ResolvedValue>, _ c: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard c >= values.count else {
            switch (kinds[c], values[c]) {
            case (.categorical, .level(let g)): return groupCodes[c][g].withUnsafeBufferPointer(body)
            case (.categorical, .unseen): return unseenCode[c].withUnsafeBufferPointer(body)
            case (_, .missing): return missingCode[c].withUnsafeBufferPointer(body)
            case (.numeric, .number(let x)), (.shape, .number(let x)):
                return standardization[c].isHigh(x) ? highCode[c].withUnsafeBufferPointer(body) : lowCode[c].withUnsafeBufferPointer(body)
            default: return body(UnsafeBufferPointer(start: nil, count: 0))
            }
        }
        let k = c - values.count, i = interactions[k]
        return Array(i.label(i.first.cell(values[i.first.columnIndex]), i.second.cell(values[i.second.columnIndex])).utf8)
            .withUnsafeBufferPointer(body)
    }

    /// What a number adds to the log-odds in column `c`: β · (x − mean)/sd, or a shape's Σ βⱼ · termⱼ.
    @inline(__always)
    func numberLogOdds(_ c: Int, _ x: Double) -> Double {
        if kinds[c] == .shape {
            // A whole number in the table: its precomputed log-odds (the same double).
            let offset = x - shapeTableStart[c]
            if offset >= 0, offset < shapeTableCount[c], offset == offset.rounded(.towardZero) {
                return shapeTableValues[shapeTableOffset[c] + Int(offset)]
            }
            return shapeLogOdds(c, x)
        }
        return beta[c] * standardization[c](x)
    }

    /// Categorical column `c`'s log-odds per level group (empty for the other kinds).
    func groupValues(_ c: Int) -> [Double] {
        let end = c + 1 < levelStart.count ? levelStart[c + 1] : levelLogOdds.count
        return Array(levelLogOdds[levelStart[c]..<end])
    }

    /// A shape's log-odds from its basis (a value outside the table). Kept out of line so the scoring
    /// loop does not copy the shape's encoding (and retain its arrays) for every number.
    @inline(never)
    func shapeLogOdds(_ c: Int, _ x: Double) -> Double {
        terms.withUnsafeBufferPointer { shapes[c].unsafelyUnwrapped.logOdds(x, beta: $0) }
    }

    /// Log-odds of a resolved row; identical to `LeadScoreModel.logOdds`.
    @inline(__always)
    public func logOdds(_ values: UnsafeBufferPointer<ResolvedValue>) -> Double {
        var s = intercept
        for c in 0..<values.count {
            switch values[c] {
            case .number(let x): s += numberLogOdds(c, x)
            case .missing: s += missingValue[c]
            case .level(let g): s += levelLogOdds[levelStart[c] + g]
            case .unseen: s += unseenValue[c]
            }
        }
        for k in interactions.indices { s += interactionValues[k][interactionCell(k, values)] }
        return s
    }
}
