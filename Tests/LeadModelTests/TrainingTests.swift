import Foundation
import Testing
@testable import LeadModel

@Suite struct TrainingTests {
    func leadsOptions() -> TrainingOptions {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason"]
        o.timeColumn = "created_at"
        o.holdoutFraction = 0
        return o
    }

    /// The generator plants effects; an unpenalized fit on 20k leads recovers their signs and rough
    /// sizes, and the no-effect columns stay near zero.
    @Test func plantedDriversAreRecovered() throws {
        var o = leadsOptions()
        o.penalty = .none
        o.shapes.numeric = .linear  // the generator plants straight-line effects per unit
        // and no interaction: with a pair in the model, a level's own coefficient is its effect in
        // the pair's reference cells only, no longer the planted main effect.
        o.interactionsAuto = false
        let model = try Trainer(options: o).train().model
        func coefficient(_ term: String) throws -> Double {
            let t = try #require(model.design.termNames.firstIndex(of: term), "no term \(term)")
            return model.coefficients.original[t].coefficient
        }
        #expect(try coefficient("lead_source=cold_list") < -1.0)
        #expect(try coefficient("lead_source=referral") > 0.8)
        #expect(try coefficient("job_level=student") < -1.1)
        #expect(abs(try coefficient("page_views") - 0.12) < 0.03)
        #expect(abs(try coefficient("days_since_last_activity") + 0.03) < 0.01)
        #expect(try coefficient("email_type=free") < -0.7)
        let se = try #require(model.coefficients.standardErrors)
        for column in ["marketing_touches", "newsletter"] {
            let t = try #require(model.design.termNames.firstIndex(of: column))
            #expect(abs(model.coefficients.terms[t] / se[t]) < 3, "\(column) looks significant")
        }
    }

    @Test func designPoolsRareLevelsAndPicksTheMostFrequentReference() throws {
        let model = try TrainedOnce.model(leadsOptions())
        let industry = try #require(model.design.columns.first { $0.name == "industry" })
        let levels = try #require(industry.categorical)
        let groups = levels.groups
        #expect(levels.reference == groups[0].value)
        #expect(groups[0].count == groups.map(\.count).max())
        let other = try #require(groups.first { $0.value == ColumnEncoding.otherName })
        #expect(other.count < 10 * (other.pooled?.count ?? 0))
        #expect(levels.unseen == .other)
        // The date column is kept out of the model and its time window recorded.
        #expect(!model.design.columns.contains { $0.name == "created_at" })
        #expect(model.provenance.timeWindow?.first.hasPrefix("2025-01") == true)
        // Numeric columns with gaps get a missing indicator.
        let days = try #require(model.design.columns.first { $0.name == "days_since_last_activity" })
        #expect(days.terms.contains { model.design.termNames[$0] == "days_since_last_activity=(missing)" })
    }

    @Test func holdoutAfterADateTrainsOnThePast() throws {
        var o = leadsOptions()
        o.holdoutAfter = FieldParser.date("2026-06-30")
        o.holdoutAfterText = "2026-06-30"
        let model = try TrainedOnce.model(o)
        #expect(model.provenance.timeWindow?.last ?? "" <= "2026-06-30")
        #expect(model.provenance.holdoutRows > 3000)
        #expect(model.metrics.holdout?.auc ?? 0 > 0.7)
    }

    @Test func sameDataGivesTheSameBytesApartFromCreatedTime() throws {
        let a = try TrainedOnce.model(leadsOptions())  // and b trained afresh
        let b = try Trainer(options: leadsOptions()).train().model
        var a2 = a, b2 = b
        a2.createdAt = ""
        b2.createdAt = ""
        #expect(try a2.jsonData() == b2.jsonData())
    }

    @Test func badRowsStopTrainingOrAreSkippedAndCounted() throws {
        let path = Paths.write("""
            id,size,source,won
            1,10,web,yes
            2,12,web,no
            3,x,event
            4,14,event,maybe
            5,,web,yes
            6,20,event,no
            7,11,web,yes
            8,16,event,no

            """)
        var o = TrainingOptions(dataPath: path, target: "won", positive: "yes")
        o.negatives = ["no"]
        o.holdoutFraction = 0
        o.minLevelCount = 1
        #expect {
            _ = try Trainer(options: o).train()
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.line == 4 && e.message.contains("expected 4 fields, found 3")
        }
        o.onError = .skip
        let outcome = try Trainer(options: o).train()
        #expect(outcome.skippedRows == 2)
        #expect(outcome.rowErrors.map(\.line) == [4, 5])
        #expect(outcome.rowErrors[1].value == "maybe")
        #expect(outcome.model.provenance.trainingRows == 6)
    }

    @Test func targetErrorsAreExplained() throws {
        let path = Paths.write("a,y\n1,yes\n2,no\n3,maybe\n")
        var o = TrainingOptions(dataPath: path, target: "y", positive: "yes")
        o.holdoutFraction = 0
        #expect { _ = try Trainer(options: o).train() } throws: { e in
            (e as? InputError)?.message.contains("--negative") == true
        }
        o.target = "outcome"
        #expect { _ = try Trainer(options: o).train() } throws: { e in
            (e as? InputError)?.message.contains("no target column 'outcome'") == true
        }
        o.target = "y"
        o.positive = "won"
        #expect { _ = try Trainer(options: o).train() } throws: { e in
            (e as? InputError)?.message.contains("never occurs") == true
        }
    }

    @Test func typeOverrideTurnsTextIntoRowErrors() throws {
        let path = Paths.write("n,y\n1,a\n2,b\nthree,a\n4,b\n5,a\n6,b\n")
        var o = TrainingOptions(dataPath: path, target: "y", positive: "a")
        o.holdoutFraction = 0
        o.types = ["n": .numeric]
        #expect { _ = try Trainer(options: o).train() } throws: { e in
            guard let e = e as? InputError else { return false }
            return e.line == 4 && e.column == 1 && e.columnName == "n" && e.value == "three" && e.message.contains("text in a numeric column")
        }
    }
}

@Suite struct ModelFileTests {
    func trainedModel() throws -> LeadScoreModel {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.exclude = ["reject_reason"]
        o.idColumn = "lead_id"
        return try TrainedOnce.model(o)
    }

    @Test func roundTripsAndLeavesNoTemporaryFiles() throws {
        let model = try trainedModel()
        let path = Paths.temporary("model.json")
        try model.write(to: path)
        let loaded = try LeadScoreModel.load(from: path)
        #expect(loaded.coefficients.terms == model.coefficients.terms)
        #expect(loaded.design == model.design)
        #expect(loaded.format == "leadscore-model/1")
        let dir = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.json"])
    }

    @Test(arguments: [
        ("{\"format\": \"leadscore-model/2\"}", "unsupported model format version 2"),
        ("{\"format\": \"something-else/1\"}", "not a LeadScore model"),
        ("{\"format\": \"leadscore-model/1\", \"coef", "not valid JSON"),
        ("{\"format\": \"leadscore-model/1\"}", "corrupt model"),
    ])
    func refusesCorruptOrUnknownFiles(text: String, expected: String) throws {
        let path = Paths.write(text, name: "bad.json")
        #expect { _ = try LeadScoreModel.load(from: path) } throws: { e in
            (e as? ModelFileError)?.message.contains(expected) == true
        }
    }

    @Test func truncatedModelIsRefused() throws {
        let data = try trainedModel().jsonData()
        let path = Paths.temporary("cut.json")
        FileManager.default.createFile(atPath: path, contents: data.prefix(data.count / 2))
        #expect(throws: ModelFileError.self) { _ = try LeadScoreModel.load(from: path) }
    }

    @Test func originalUnitsGiveTheSameLogOdds() throws {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.exclude = ["reject_reason"]
        o.idColumn = "lead_id"
        o.shapes.numeric = .linear  // a straight line's coefficient per unit
        let model = try TrainedOnce.model(o)
        // Rebuild η for a numeric column's value from the original-unit coefficients.
        let col = try #require(model.design.columns.first { $0.name == "page_views" }?.numeric)
        let t = col.term
        let b = model.coefficients.terms[t]
        let internalValue = b * (9 - col.mean) / col.scale
        let original = model.coefficients.original.first { $0.term == "page_views" }!.coefficient
        // Difference between two values is the same on both scales.
        let internalZero = b * (0 - col.mean) / col.scale
        #expect(abs((internalValue - internalZero) - original * 9) < 1e-12)
    }
}


/// The drift profile `train` stores is made from the values pass 2 read (no third read of the
/// file); it must be the profile a read of the training rows gives.
@Suite struct TrainingProfileTests {
    @Test(arguments: [false, true])
    func theStoredProfileIsTheProfileOfTheTrainingRowsRead(bins: Bool) throws {
        var o = TrainingOptions(dataPath: Paths.leads, target: "status", positive: "accepted")
        o.idColumn = "lead_id"
        o.exclude = ["reject_reason", "created_at"]
        o.holdoutFraction = 0
        if bins { o.shapes.numeric = .bins }
        let model = try TrainedOnce.model(o)
        let stored = try #require(model.trainingProfile)
        let read = try ProfiledLeads.load(path: Paths.leads, model: model, checkUnseen: false)
        let expected = TrainingProfile.of(model: model, levels: read.levels, numbers: read.numbers, missing: read.missing, score: read.score)
        #expect(stored == expected)
        #expect(stored.rows == model.provenance.trainingRows)
    }

    /// Missing values pooled with rare levels into (other) cannot be told apart in the encoded rows:
    /// the profile is then read from the file, with the same result.
    @Test func missingValuesPooledIntoOtherAreReadFromTheFile() throws {
        var lines = ["kind,size,y"]
        for i in 0..<600 {
            // 'k0'…'k2' frequent; 5 rare kinds and 4 missing ones pooled into (other).
            let kind = i < 5 ? "rare\(i)" : i < 9 ? "" : "k\(i % 3)"
            lines.append("\(kind),\(i % 37),\(i % 3 == 0 || i % 7 == 0 ? 1 : 0)")
        }
        let path = Paths.write(lines.joined(separator: "\n") + "\n")
        var o = TrainingOptions(dataPath: path, target: "y", positive: "1")
        o.holdoutFraction = 0
        let model = try Trainer(options: o).train().model
        let kind = try #require(model.design.columns.first { $0.name == "kind" }?.categorical)
        #expect(kind.groups.contains { $0.value == ColumnEncoding.otherName && ($0.pooled ?? []).contains("") })
        let stored = try #require(model.trainingProfile)
        let read = try ProfiledLeads.load(path: path, model: model, checkUnseen: false)
        #expect(stored == TrainingProfile.of(model: model, levels: read.levels, numbers: read.numbers, missing: read.missing, score: read.score))
        #expect(abs((stored.columns.first { $0.name == "kind" }?.missingRate ?? 0) - 4.0 / 600) < 1e-12)
    }
}
