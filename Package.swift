// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Tally",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tally", targets: ["Tally"]),
        .library(name: "TallyWorkload", targets: ["TallyWorkload"]),
        .library(name: "TallyTesting", targets: ["TallyTesting"]),
        .executable(name: "tally", targets: ["TallyCLI"]),
        .executable(name: "tally-stress", targets: ["TallyStress"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // The system zlib (Debian package zlib1g-dev): compression and CRC-32.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The engine.
        .target(
            name: "Tally",
            dependencies: ["CZlib", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"]
        ),
        // Synthetic product-analytics traffic (the model of shared/workload/gen_events.py).
        .target(name: "TallyWorkload", dependencies: []),
        // Deterministic file system and clock with fault injection, for tests and harnesses.
        .target(name: "TallyTesting", dependencies: ["Tally"]),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "Tally", "TallyWorkload",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The child and parent processes of the kill loop and the multi-process lock test
        // (RELIABILITY.md); the tests run it, so they depend on it to have it built.
        .executableTarget(name: "TallyStress", dependencies: ["Tally", "TallyTesting"]),
        .testTarget(
            name: "TallyTests",
            dependencies: [
                "Tally", "TallyWorkload", "TallyTesting", "TallyStress", .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Experiments/make_statistics_vectors.py"]
        ),
        // Runs the built `tally` binary; depends on TallyCLI so that `swift test` builds it first.
        .testTarget(name: "TallyCLITests", dependencies: ["TallyCLI", "Tally", "TallyWorkload"]),
    ]
)
