import Foundation
import LeadData
import LinearAlgebra
import LeadSupport

extension Trainer {
    /// Copies standard input to `$TMPDIR/.leadscore-stdin.partial-PID-XXXXXX` (mode 0600, created
    /// exclusively, removed on SIGINT/SIGTERM/SIGHUP; spools of killed runs are removed here).
    /// The caller removes it with `TemporaryFile.remove(_:)`.
    static func spoolStandardInput() throws -> String {
        let folder = FileManager.default.temporaryDirectory.path
        TemporaryFile.removeStale(in: folder, onlyName: "leadscore-stdin")
        let spool: TemporaryFile
        do {
            spool = try TemporaryFile(folder: folder, name: "leadscore-stdin", mode: 0o600)
        } catch {
            throw InputError(file: "-", message: "cannot create a temporary file to hold standard input (\(error))")
        }
        let fd = spool.descriptor
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = Glibc.read(0, chunk.baseAddress, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = Glibc.write(fd, chunk.baseAddress! + off, n - off)
                if w < 0 && errno == EINTR { continue }
                if w <= 0 {
                    let reason = TemporaryFile.reason(errno)
                    spool.discard()
                    throw InputError(file: "-", message: "cannot write standard input to a temporary file: \(reason)")
                }
                off += w
            }
        }
        spool.closeDescriptor()
        return spool.path
    }

    static func sha256(path: String) throws -> String {
        let source = try ByteSource(path: path)
        var digest = SHA256Digest()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let n = try source.read(into: chunk)
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
        }
        return digest.finalizeHex()
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    static func dayString(_ days: Double) -> String { FieldParser.isoDate(days: Int(days.rounded(.down))) }
}

func rounded(_ x: Double, _ digits: Int) -> Double {
    let p = pow(10.0, Double(digits))
    return (x * p).rounded() / p
}

extension Matrix {
    /// The first `n` rows, as a new matrix.
    func topRows(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: cols)
        for j in 0..<cols { for i in 0..<n { m[i, j] = self[i, j] } }
        return m
    }
}

extension LeadScoreModel {
    /// Coefficients in each column's original units (see `Coefficients.original`).
    func originalUnits() -> [Coefficients.OriginalTerm] {
        var out: [Coefficients.OriginalTerm] = []
        let beta = coefficients.terms
        for col in design.columns {
            switch col.kind {
            case .numeric(let e), .boolean(let e):
                let original = e.originalUnits(beta: beta)
                out.append(.init(term: design.termNames[e.term], coefficient: original.perUnit))
                if let m = e.missingTerm, let missing = original.missing {
                    out.append(.init(term: design.termNames[m], coefficient: missing))
                }
            case .categorical(let e):
                for g in e.groups { if let t = g.term { out.append(.init(term: design.termNames[t], coefficient: beta[t])) } }
            case .shape(let e):
                // Per unit of each raw basis function; the missing indicator against raw basis 0.
                for (j, t) in e.terms.enumerated() { out.append(.init(term: design.termNames[t], coefficient: beta[t] / e.scales[j])) }
                if let m = e.missingTerm { out.append(.init(term: design.termNames[m], coefficient: beta[m] + e.interceptShift(beta: beta))) }
            }
        }
        // An interaction's 0/1 terms are in original units already.
        for i in design.interactions ?? [] { for t in i.terms { out.append(.init(term: design.termNames[t], coefficient: beta[t])) } }
        return out
    }

    func originalIntercept() -> Double {
        var b0 = coefficients.intercept
        for e in design.columns.compactMap(\.numeric) { b0 -= e.originalUnits(beta: coefficients.terms).interceptShift }
        for col in design.columns { if case .shape(let e) = col.kind { b0 -= e.interceptShift(beta: coefficients.terms) } }
        return b0
    }
}

/// A value computed on a background thread; `value()` waits for it (and rethrows its error).
final class BackgroundValue<T: Sendable>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        group.enter()
        DispatchQueue.global().async {
            self.result = Result { try body() }
            self.group.leave()
        }
    }

    func value() throws -> T {
        group.wait()
        return try result!.get()
    }
}
