#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import LeadData
import LeadModel
import LeadSupport

/// A loaded model with everything a request needs from it, built once and never changed: a request
/// takes the current one at its start and finishes on it, whatever reload happens meanwhile.
final class ServingModel: Sendable {
    let model: LeadScoreModel
    let scorer: LeadScorer
    let explainer: Explainer
    let parser: FieldParser
    /// SHA-256 of the model file's bytes (`sha256sum` gives the same).
    let fingerprint: String
    let identity: FileIdentity
    let loadedAt: Date
    /// The body of `GET /v1/model`.
    let description: [UInt8]

    /// Loads `path` through one open file: the bytes hashed are the bytes decoded, even when the
    /// file is replaced while it is read.
    init(path: String, extraMissing: [String], loadedAt: Date = Date()) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else {
            // The library's own message and status for a file that cannot be opened.
            _ = try LeadScoreModel.load(from: path)
            throw CocoaError(.fileReadUnknown)
        }
        defer { close(fd) }
        identity = FileIdentity(st)
        do {
            model = try LeadScoreModel.load(from: "/dev/fd/\(fd)")
        } catch var e as ModelFileError {
            e.path = path
            throw e
        }
        var digest = SHA256Digest()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += off_t(n)
        }
        fingerprint = digest.finalizeHex()
        scorer = try LeadScorer(model: model, extraMissing: extraMissing)
        explainer = Explainer(model: model)
        parser = FieldParser(extraMissing: model.missingMarkers + extraMissing)
        self.loadedAt = loadedAt
        description = ServingModel.describe(model, path: path, fingerprint: fingerprint, loadedAt: loadedAt)
    }

    /// `GET /v1/model`: what a client needs to send leads (the columns, their types and levels) and
    /// to read scores (grades, the points scale), and which model answers (version, fingerprint).
    static func describe(_ model: LeadScoreModel, path: String, fingerprint: String, loadedAt: Date) -> [UInt8] {
        struct Column: Encodable {
            var name: String
            var type: String
            var levels: [String]?
            var mean: Double?
            var minimum: Double?
            var maximum: Double?
        }
        struct Grade: Encodable {
            var grade: String
            var min_score: Double
            var training_positive_rate: Double
        }
        struct Description: Encodable {
            var format: String
            var tool_version: String
            var created_at: String
            var fingerprint: String
            var file: String
            var loaded_at: String
            var target: String
            var positive: String
            var id_column: String?
            var columns: [Column]
            var grades: [Grade]
            var scorecard: Scorecard
            var missing_markers: [String]
            var holdout_auc: Double?
        }
        let columns = model.design.columns.map { c in
            Column(name: c.name, type: c.type.rawValue,
                   levels: c.categorical.map { $0.groups.map(\.value).filter { !$0.isEmpty && $0 != ColumnEncoding.otherName } },
                   mean: c.type == .numeric ? c.numeric?.mean : nil, minimum: c.numeric?.minimum, maximum: c.numeric?.maximum)
        }
        let description = Description(
            format: model.format, tool_version: model.toolVersion, created_at: model.createdAt, fingerprint: fingerprint,
            file: path, loaded_at: ISO8601DateFormatter().string(from: loadedAt), target: model.target.column,
            positive: model.target.positive, id_column: model.idColumn, columns: columns,
            grades: model.grades.map { Grade(grade: $0.grade, min_score: $0.minScore, training_positive_rate: $0.trainingPositiveRate) },
            scorecard: model.scorecard, missing_markers: model.missingMarkers,
            holdout_auc: model.metrics.holdout?.auc.flatMap { $0.isFinite ? $0 : nil })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(((try? encoder.encode(description)) ?? Data("{}".utf8)) + Data("\n".utf8))
    }
}

/// Which file a path leads to, and which version of it: a model written atomically (a new file
/// renamed over the old) changes inode; one rewritten in place changes size or modification time.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int64
    var modifiedNanoseconds: Int64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        #if canImport(Glibc)
        modifiedSeconds = Int64(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtim.tv_nsec)
        #else
        modifiedSeconds = Int64(st.st_mtimespec.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtimespec.tv_nsec)
        #endif
    }

    /// The identity of what `path` leads to now (through links), or nil when it cannot be read.
    static func of(_ path: String) -> FileIdentity? {
        var st = stat()
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }
}
