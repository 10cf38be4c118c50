// swift-tools-version: 6.0
// libFuzzer targets for Tally's readers (issue 7, procedure 6), in their own package so that
// `swift build` and `swift test` of the library never build them. They reach the readers
// through the `@_spi(Fuzzing)` entry points of `Sources/Tally/Support/FuzzEntryPoints.swift`.
// Build and run one (TOOLCHAIN.md, "Fuzzing"; RELIABILITY.md, procedure 6):
//
//     swift build --package-path Fuzz --product FuzzWAL --scratch-path .build-fuzz \
//         --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
//     scripts/reliability/fuzz.sh FuzzWAL 600
import PackageDescription

let tally = Target.Dependency.product(name: "Tally", package: "Tally")

let package = Package(
    name: "TallyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Tally", path: "..")],
    targets: [
        .executableTarget(name: "FuzzWAL", dependencies: [tally], path: "Targets/FuzzWAL"),
        .executableTarget(name: "FuzzBatchRecord", dependencies: [tally], path: "Targets/FuzzBatchRecord"),
        .executableTarget(name: "FuzzSegment", dependencies: [tally], path: "Targets/FuzzSegment"),
        .executableTarget(name: "FuzzCatalog", dependencies: [tally], path: "Targets/FuzzCatalog"),
        .executableTarget(name: "FuzzExperimentState", dependencies: [tally], path: "Targets/FuzzExperimentState"),
        .executableTarget(
            name: "FuzzDatabase", dependencies: [tally, .product(name: "TallyTesting", package: "Tally")],
            path: "Targets/FuzzDatabase"),
        // Writes the seed corpora from a real database (not a fuzzer).
        .executableTarget(
            name: "fuzz-seeds", dependencies: [tally, .product(name: "TallyTesting", package: "Tally")],
            path: "Targets/Seeds"),
    ]
)
