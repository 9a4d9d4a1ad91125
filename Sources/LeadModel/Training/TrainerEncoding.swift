import Foundation
import LeadData
import LinearAlgebra
import LeadSupport

extension Trainer {
    /// Second pass on every core: each chunk the first pass planned is read again (`pread`), parsed
    /// and encoded straight into its rows of X, which the plan's running counts fix in advance. The
    /// result is the same matrix the sequential pass builds. Returns false, leaving the caller to
    /// run the sequential pass, when a chunk does not encode exactly the rows the first pass counted.
    func encodeInParallel(path: String, display: String, pass: FirstPass, resolver: RowResolver,
                                  xTrain: inout EncodedRows, yTrain: inout [Double], xHold: inout Matrix, yHold: inout [Double]) -> Bool {
        let plan = pass.plan
        let badRows = pass.badRows
        let encoder = RowEncoder(design: resolver.design)
        let termCount = resolver.design.termCount
        let denseCount = xTrain.denseTerms.count, groupCount = xTrain.groupTerms.count
        let nTrainTotal = xTrain.rows, nHoldTotal = xHold.rows
        let delimiter = options.delimiter
        let roles = pass.roles, readable = pass.readableRecords
        let seed = options.seed, fraction = options.holdoutFraction, after = options.holdoutAfter
        var ok = true
        // Raw addresses (Sendable) of the storage every worker writes its own rows of.
        func address<T>(_ buffer: UnsafeMutableBufferPointer<T>) -> UInt { UInt(bitPattern: buffer.baseAddress) }
        xTrain.dense.storage.withUnsafeMutableBufferPointer { dt in
            xTrain.levels.withUnsafeMutableBufferPointer { lt in
            xHold.storage.withUnsafeMutableBufferPointer { xh in
                yTrain.withUnsafeMutableBufferPointer { yt in
                    yHold.withUnsafeMutableBufferPointer { yh in
                        let addresses = (address(dt), address(lt), address(xh), address(yt), address(yh))
                        let results = ParallelMap.run(plan.count, threads: ScoringThreads.default) { c -> Bool in
                            let chunk = plan[c]
                            guard let bytes = try? ByteBuffer.read(path: path, offset: chunk.offset, length: chunk.length) else { return false }
                            let reader = CSVReader(slice: ByteSlice(bytes), path: display, delimiter: delimiter,
                                                   firstLine: chunk.firstLine, firstIndex: chunk.firstRecord)
                            let denseBase = UnsafeMutablePointer<Double>(bitPattern: addresses.0)
                            let levelBase = UnsafeMutablePointer<Int32>(bitPattern: addresses.1)
                            let xHoldBase = UnsafeMutablePointer<Double>(bitPattern: addresses.2)
                            let yTrainBase = UnsafeMutablePointer<Double>(bitPattern: addresses.3)
                            let yHoldBase = UnsafeMutablePointer<Double>(bitPattern: addresses.4)
                            var trainRow = chunk.trainingStart, holdRow = chunk.holdoutStart
                            let trainEnd = c + 1 < plan.count ? plan[c + 1].trainingStart : nTrainTotal
                            let holdEnd = c + 1 < plan.count ? plan[c + 1].holdoutStart : nHoldTotal
                            // This chunk's rows start at zero (dense 0, level −1): nothing was pre-filled.
                            if trainEnd > trainRow {
                                guard let denseBase else { return false }
                                for a in 0..<denseCount { (denseBase + a * nTrainTotal + trainRow).update(repeating: 0, count: trainEnd - trainRow) }
                                if groupCount > 0 {
                                    guard let levelBase else { return false }
                                    for q in 0..<groupCount { (levelBase + q * nTrainTotal + trainRow).update(repeating: -1, count: trainEnd - trainRow) }
                                }
                            }
                            if holdEnd > holdRow {
                                guard let xHoldBase else { return false }
                                for j in 0..<termCount + 1 { (xHoldBase + j * nHoldTotal + holdRow).update(repeating: 0, count: holdEnd - holdRow) }
                            }
                            // A design without categorical terms has no level storage (and writes none).
                            let noLevels = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
                            defer { noLevels.deallocate() }
                            guard let denseBase else { return false }
                            let trainTarget = RowEncoder.Target(dense: denseBase, levels: levelBase ?? noLevels, rows: nTrainTotal)
                            var rows = LeadRows(source: reader, roles: roles, resolver: resolver, policy: .fail)
                            rows.recordLimit = readable - chunk.firstRecord
                            while true {
                                // A row the first pass did not foresee failing: the sequential pass reports it.
                                guard let more = try? rows.next(skipping: { record, _ in badRows.contains(record.index) }) else { return false }
                                guard more else { break }
                                let values = rows.values
                                let holdout = Trainer.isHoldout(index: rows.record.index, time: rows.day, seed: seed, fraction: fraction, after: after)
                                let y = Double(rows.outcome)
                                if holdout {
                                    guard holdRow < holdEnd, let xHoldBase, let yHoldBase else { return false }
                                    encoder.encode(values, row: holdRow, into: xHoldBase, rows: nHoldTotal)
                                    yHoldBase[holdRow] = y
                                    holdRow += 1
                                } else {
                                    guard trainRow < trainEnd, let yTrainBase else { return false }
                                    guard encoder.encode(values, row: trainRow, into: trainTarget) else { return false }
                                    yTrainBase[trainRow] = y
                                    trainRow += 1
                                }
                            }
                            return trainRow == trainEnd && holdRow == holdEnd
                        }
                        ok = results.allSatisfy { $0 }
                    }
                }
            }
            }
        }
        return ok
    }
}
