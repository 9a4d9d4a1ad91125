import LeadData
import LeadModel
import Testing

/// `CSVText.spreadsheetCell`: text from data in CSV files people open in a spreadsheet.
@Suite struct SpreadsheetCellTests {
    @Test(arguments: [
        ("=1+1", "\"'=1+1\""),
        ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
        ("+1+cmd", "\"'+1+cmd\""),
        ("-2+3", "\"'-2+3\""),
        ("@SUM(A1)", "\"'@SUM(A1)\""),
        ("\t=1", "\"'\t=1\""),
        ("\r=1", "\"'\r=1\""),
        ("-", "\"'-\""),
        ("=a,b", "\"'=a,b\""),
        ("@x=\"1\"", "\"'@x=\"\"1\"\"\""),
    ])
    func formulaTriggersAreNeutralized(cell: String, written: String) {
        #expect(CSVText.spreadsheetCell(cell) == written)
    }

    /// A number is a number to a spreadsheet, not a formula: data text that is one stays as is.
    @Test(arguments: ["-0.27", "+1", "-5", "+3.5", "-1e5", "-1E+05", "-.5", "-2.", "12", "0"])
    func plainNumbersStay(_ cell: String) {
        #expect(CSVText.spreadsheetCell(cell) == cell)
    }

    @Test(arguments: ["-1e", "-e5", "+", "-1-1", "-1e5x", "-0x1F", "+1 ", "-1,5", "--1", "-١"])
    func almostNumbersAreNeutralized(_ cell: String) {
        #expect(CSVText.spreadsheetCell(cell).hasPrefix("\"'"), "\(cell)")
    }

    @Test func ordinaryTextIsEscapedAsBefore() {
        for s in ["", "retail", "x=1", "budget_confirmed=no", "a b", "a=-1", "'=1", " =1"] {
            #expect(CSVText.spreadsheetCell(s) == CSVText.escape(s), "\(s)")
        }
        #expect(CSVText.spreadsheetCell("a,b") == "\"a,b\"")
        #expect(CSVText.spreadsheetCell("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    @Test func errorRowsNeutralizeColumnAndMessageButNotTheLine() {
        let plain = InputError(file: "f.csv", line: 4, column: 13, message: "expected 14 fields, found 13")
        #expect(CSVText.errorRow(plain) == "4,,13,\"expected 14 fields, found 13\"\n")
        let named = InputError(file: "f.csv", line: 6, column: 2, columnName: "-2+3", value: "=1+1\u{1B}[2J",
                               message: "text in a numeric column")
        #expect(CSVText.errorRow(named) == "6,,\"'-2+3\",\"text in a numeric column (value \"\"=1+1\\x1b[2J\"\")\"\n")
        let led = InputError(file: "f.csv", line: 7, columnName: "@SUM(A1)", message: "=cmd")
        #expect(CSVText.errorRow(led) == "7,,\"'@SUM(A1)\",\"'=cmd\"\n")
    }
}
