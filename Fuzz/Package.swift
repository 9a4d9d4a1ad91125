// swift-tools-version:6.1
// The libFuzzer harness for LeadScore's CSV reader. Build and run (see the README):
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   Fuzz/.build/release/FuzzCSVReader Fuzz/corpus -max_total_time=600
// Sources/LeadData is a symbolic link to the main package's module, compiled here with the sanitizers.
import PackageDescription

let package = Package(
    name: "LeadScoreFuzz",
    targets: [
        .target(name: "LeadData", path: "Sources/LeadData"),
        .executableTarget(name: "FuzzCSVReader", dependencies: ["LeadData"]),
    ]
)
