// swift-tools-version: 6.1
// Tally's benchmarks, in their own package so that users of the library never build benchmark
// dependencies (STYLE.md habit 13). Run from the repository root:
//
//     swift package --package-path Benchmarks benchmark
//
// See BENCHMARKS.md for the environment variables that size the data sets and for the peer
// comparison script (peers/compare.py).
import PackageDescription

let package = Package(
    name: "TallyBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Tally", path: ".."),
        // The default trait pulls a package that is not in the mirror; MallocInterposer alone
        // gives malloc counts without jemalloc (TOOLCHAIN.md, "Benchmarks").
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // The SQLite peer: rollup tables upserted per batch, as many teams do.
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // Shared by the benchmarks and the command-line helper: data-set settings, the event
        // stream, the reference queries and the SQLite peer.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Tally", package: "Tally"),
                .product(name: "TallyWorkload", package: "Tally"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Support/BenchSupport"
        ),
        // The ordo-one/benchmark suite. Its folder must sit directly in `Benchmarks/` for the
        // plugin to find it.
        .executableTarget(
            name: "TallyBenchmarks",
            dependencies: [
                "BenchSupport",
                .product(name: "Tally", package: "Tally"),
                .product(name: "TallyWorkload", package: "Tally"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "TallyBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // `tally-bench`: writes the project's event stream as NDJSON, imports and queries for
        // peers/compare.py, and checks Tally's answers against the SQLite peer. Not a benchmark
        // target (its folder is not directly in `Benchmarks/`).
        .executableTarget(
            name: "tally-bench",
            dependencies: [
                "BenchSupport", .product(name: "Tally", package: "Tally"),
                .product(name: "TallyWorkload", package: "Tally"),
            ],
            path: "Tools/TallyBench"
        ),
    ]
)
