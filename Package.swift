// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "LeadScore",
    products: [
        .executable(name: "leadscore", targets: ["leadscore"]),
        .library(name: "LeadModel", targets: ["LeadModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/JohnSundell/Plot.git", exact: "0.14.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["CLAPACKE"]),
        .target(name: "LeadData"),
        .target(name: "CSHA256"),
        .target(name: "LeadSupport", dependencies: ["CSHA256"]),
        .target(name: "LeadModel", dependencies: ["LinearAlgebra", "LeadData", "LeadSupport"]),
        .target(name: "SyntheticLeads", dependencies: ["LeadData", "LeadSupport"]),
        .target(name: "LeadAnalysis", dependencies: ["LeadModel", "LinearAlgebra", "LeadSupport"]),
        .target(
            name: "LeadServe",
            dependencies: [
                "LeadModel", "LeadData", "LeadSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "LeadReport", dependencies: ["LeadAnalysis", "LeadModel", "LeadData", .product(name: "Plot", package: "Plot")]),
        .target(
            name: "LeadScoreCLI",
            dependencies: [
                "LeadModel", "LeadData", "LeadAnalysis", "LeadServe", "LeadReport", "SyntheticLeads", "LeadSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "leadscore", dependencies: ["LeadScoreCLI", "LeadModel", "LeadSupport"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
        .testTarget(name: "LeadDataTests", dependencies: ["LeadData"]),
        .testTarget(
            name: "LeadModelTests",
            dependencies: [
                "LeadModel", "LeadData", "SyntheticLeads", "LeadSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "LeadAnalysisTests", dependencies: ["LeadAnalysis", "LeadModel", "SyntheticLeads"]),
        .testTarget(name: "LeadScoreCLITests", dependencies: ["LeadModel", "LeadSupport", "leadscore"]),
    ]
)
