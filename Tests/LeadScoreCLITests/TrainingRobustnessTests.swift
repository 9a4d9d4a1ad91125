import Foundation
import Testing

/// `train` on data that used to crash it or run away with memory, and `load` on corrupt models.
@Suite struct TrainingRobustnessTests {
    /// A CSV of `rows` rows: x from `value(i)`, a noise column z, and y from `outcome(i, x)`.
    func csv(rows: Int, value: (Int) -> String, outcome: (Int) -> Int) -> String {
        var lines = ["x,z,y"]
        for i in 0..<rows { lines.append("\(value(i)),\(Double((i * 7919) % 101) / 10),\(outcome(i))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Trains with --penalty none and checks the model works with drivers, score and explain.
    func trainAndUse(_ text: String, expectNotice: String) throws {
        let dir = CLI.temporaryDirectory()
        CLI.write(text, to: dir + "/d.csv")
        let train = try CLI.run(["train", dir + "/d.csv", "--target", "y", "--positive", "1", "--penalty", "none",
                                 "--holdout", "0", "--out", dir + "/m.json"])
        #expect(train.status == 0, "train: \(train.stderr)")
        #expect(train.stdout.contains(expectNotice), "\(train.stdout)")
        for args in [["drivers", "--model", dir + "/m.json", "--format", "json"], ["drivers", "--model", dir + "/m.json"],
                     ["score", dir + "/d.csv", "--model", dir + "/m.json", "--out", dir + "/s.csv"],
                     ["explain", "--model", dir + "/m.json", "--lead", "x=1,z=2"]] {
            let r = try CLI.run(args)
            #expect(r.status == 0, "\(args[0]): \(r.stderr)")
        }
    }

    @Test func aSeparatingNumericColumnTrainsWithAWarning() throws {
        try trainAndUse(csv(rows: 80, value: { String(format: "%.6f", Double($0 % 40) / 4000 + ($0 % 2 == 0 ? 0.5 : 0)) }, outcome: { $0 % 2 }),
                        expectNotice: "separation: column 'x' alone separates the outcomes")
    }

    @Test func aColumnThatBarelyVariesTrains() throws {
        let values = ["1", "1.0000000000000002", "1.0000000000000004", "1.0000000000000007"]
        try trainAndUse(csv(rows: 120, value: { values[($0 * 31) % 4] }, outcome: { ($0 * 13) % 5 < 2 ? 1 : 0 }),
                        expectNotice: "column 'x' barely varies")
    }

    @Test func aColumnWhoseVarianceOverflowsIsNotConstant() throws {
        try trainAndUse(csv(rows: 120, value: { $0 % 3 == 0 ? "1e200" : "-1e200" }, outcome: { ($0 * 13) % 5 < 2 ? 1 : 0 }),
                        expectNotice: "its variance overflows a 64-bit float")
    }

    @Test func tooManyTermsAreRefusedQuicklyWithStatus65() throws {
        let dir = CLI.temporaryDirectory()
        let columns = 5_001
        var lines = [(0..<columns).map { "c\($0)" }.joined(separator: ",") + ",y"]
        for r in 0..<40 { lines.append((0..<columns).map { String(($0 * 31 + r * 17) % 97) }.joined(separator: ",") + ",\(r % 2)") }
        CLI.write(lines.joined(separator: "\n") + "\n", to: dir + "/wide.csv")
        let start = Date()
        let r = try CLI.run(["train", dir + "/wide.csv", "--target", "y", "--positive", "1", "--out", dir + "/m.json"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("the design has 5001 terms") && r.stderr.contains("more than the 5000"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.json"))
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func aCorruptModelIsRefusedWithStatus65AndItsField() throws {
        let dir = CLI.temporaryDirectory()
        let text = CLI.read(CLI.root + "/models/leads.json").replacingOccurrences(of: "\"pdo\" :", with: "\"pdo\" : -1, \"pdo\" :")
        CLI.write(text, to: dir + "/m.json")
        let r = try CLI.run(["drivers", "--model", dir + "/m.json"])
        #expect(r.status == 65)
        #expect(r.stderr.contains("corrupt model: scorecard.pdo: the key \"pdo\" appears twice"), "\(r.stderr)")
    }
}
