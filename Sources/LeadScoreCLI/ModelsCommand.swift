import ArgumentParser
import Foundation
import LeadData
import LeadModel

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the model versions in a folder: date, data fingerprint, rows, AUC, λ, options.",
        discussion: """
            Reads every *.json in DIR (default: models) that is a LeadScore model and lists them \
            oldest first: when it was trained, the first 12 hex digits of the training data's \
            SHA-256 (two models with the same fingerprint were trained on the same bytes), the rows \
            it was trained and tested on, its holdout AUC (training AUC when it had no holdout), the \
            penalty λ, whether it stores a training profile (needed by 'leadscore drift'), and the \
            options that differ from the defaults. Files that are not models are listed under \
            'skipped' with the reason.

            Example:
              leadscore models models
            """
    )

    @Argument(help: ArgumentHelp("The folder of model files.", valueName: "dir"))
    var dir: String = "models"

    @Option(help: ArgumentHelp("text or json.", valueName: "text|json"))
    var format: OutputFormat = .text

    struct Version: Codable {
        var file: String
        var createdAt: String
        var dataFile: String
        var dataFingerprint: String
        var trainingRows: Int
        var holdoutRows: Int
        var auc: Double?
        var aucOn: String
        var lambda: String
        var profile: Bool
        var grades: String
        var pdo: Double
        var options: [String: String]
    }

    struct Listing: Codable {
        var dir: String
        var models: [Version]
        var skipped: [String: String]
    }

    /// Options every model records that say nothing about how it differs.
    static let routine: Set<String> = ["target", "positive", "id", "delimiter", "on_error", "max_iterations", "gradient_tolerance", "max_levels", "seed", "lambda"]
    /// Today's defaults as a model records them: an option recorded with its default value is not listed.
    static let defaults = TrainingOptions(dataPath: "", target: "", positive: "").record

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        try runReportingErrors {
            let listing = try Self.list(dir)
            let sink = try OutputSink(path: "-")
            switch format {
            case .json: try sink.write(try reportJSON(listing))
            case .text: try sink.write(Terminal.printable(Self.render(listing)) + "\n")
            }
            try sink.commit()
        }
    }

    static func list(_ dir: String) throws -> Listing {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw InputError(file: dir, message: "no such folder", isMissingInput: true)
        }
        let names = (try FileManager.default.contentsOfDirectory(atPath: dir)).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        var versions: [Version] = []
        var skipped: [String: String] = [:]
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            // Only regular files (links followed) are read: a FIFO would block the listing forever.
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
                skipped[path] = "not a regular file"
                continue
            }
            do {
                let m = try LeadScoreModel.load(from: path)
                let holdout = m.metrics.holdout
                let options = m.provenance.options.filter { !routine.contains($0.key) && defaults[$0.key] != $0.value }
                versions.append(Version(file: path, createdAt: m.createdAt, dataFile: m.provenance.dataFile,
                                        dataFingerprint: String(m.provenance.dataSHA256.prefix(12)),
                                        trainingRows: m.provenance.trainingRows, holdoutRows: m.provenance.holdoutRows,
                                        auc: holdout?.auc ?? m.metrics.train.auc, aucOn: holdout?.auc != nil ? "holdout" : "training",
                                        lambda: m.lambdaSelection.map { String(format: "%.4g", $0.chosen) } ?? m.provenance.options["lambda"] ?? "-",
                                        profile: m.trainingProfile != nil,
                                        grades: m.grades.map { "\($0.grade)≥\(fmt($0.minScore, 1))" }.joined(separator: " "),
                                        pdo: m.scorecard.pdo, options: options))
            } catch let e as ModelFileError {
                skipped[path] = e.message
            }
        }
        versions.sort { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.file < $1.file }
        return Listing(dir: dir, models: versions, skipped: skipped)
    }

    static func render(_ l: Listing) -> String {
        var lines = ["\(l.models.count) model\(l.models.count == 1 ? "" : "s") in \(l.dir), oldest first", ""]
        lines.append(ExplanationText.pad("trained", 22) + ExplanationText.pad("data", 14)
                     + ["rows", "holdout", "AUC", "λ", "PDO", "profile"].map { ExplanationText.leftPad($0, 9) }.joined() + "  file")
        for v in l.models {
            lines.append(ExplanationText.pad(v.createdAt, 22) + ExplanationText.pad(v.dataFingerprint, 14)
                         + ["\(v.trainingRows)", "\(v.holdoutRows)", v.auc.map { fmt($0) } ?? "-", v.lambda, fmt(v.pdo, 0), v.profile ? "yes" : "no"]
                            .map { ExplanationText.leftPad($0, 9) }.joined() + "  " + v.file)
            lines.append("    grades \(v.grades); data \(v.dataFile); " + v.options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for (file, reason) in l.skipped.sorted(by: { $0.key < $1.key }) { lines.append("skipped \(file): \(reason)") }
        return lines.joined(separator: "\n")
    }
}
