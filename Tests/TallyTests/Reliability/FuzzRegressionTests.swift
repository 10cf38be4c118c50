import Foundation
import Testing
@_spi(Fuzzing) @testable import Tally

/// Inputs on which a libFuzzer target of `Fuzz/` crashed, kept so the bug stays fixed (issue 7,
/// procedure 6). Each runs through the same entry point the fuzzer used; the test passes when
/// the entry point returns (a trap would end the test run).
@Suite struct FuzzRegressionTests {
    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    /// FuzzCatalog: a segment entry with `footerOffset + footerLength` past 2^64 overflowed
    /// before the bounds that would have refused it were checked (G2).
    @Test func catalogSegmentExtentsThatOverflowAreRefused() throws {
        let input = Self.bytes(
            "AQAAAAUAAAAAAAAAgDIEAaFAwAbSRY///////////wGAkJbMnmiA3dsBgJCWzJ5ogNTA7p5oBxixAgMEY29udghleHBvc3VyZQNyZWwCAAAAAAAAAGiwsKedaIDd2wGAuIXsnWiAuIXsnWgCCoABAghleHBvcnVlcgNzZWwDwkyzBetQigGAkJbMnmiA3dsBgPbV/55ogPbV/55oAwupAQMEY29udghleHBvc3VyZQNyZWwC6EjaA9hLaoCwsKedaIDd2wGAuIXsnWiAuIXsnWgCCoABAghleHBvcnVlcgNzZWwDwkyzBetQigGAkJbMnmiA3dsBgPbV/55ogPbV/55oAwupAQMEY29u/////////////////6ABAAAD4UZv9VFt4UZv9VFtsFhb")
        FuzzEntryPoints.catalog(input)
        #expect(throws: TallyError.self) { try Catalog.decode(input, path: "", offset: 0) }
    }

    /// Found by reading the catalog fix: a partition start of `INT64_MIN` made flooring it to
    /// the partition grid overflow when a database was opened (G2).
    @Test func extremeTimesInACatalogAreRefused() throws {
        var forged = try ForgedDatabase()
        forged.catalog.segments[0].partitionStart = .min
        forged.commit()
        let error = #expect(throws: TallyError.self) {
            try Tally.open(at: Fixtures.path, options: Fixtures.options(forged.disk()))
        }
        #expect(error?.code == .corruption)
    }

    /// FuzzExperimentState: a block naming an experiment with no variants loaded, and the
    /// variant report then indexed an empty list (X4).
    @Test func anExperimentWithoutVariantsDoesNotDecode() throws {
        var input = Self.bytes("bgABAAAAAQEAAAABAAAA")
        input[2] = UInt8(ExperimentState.codecVersion)  // found at version 1; the block is otherwise as found
        FuzzEntryPoints.experimentState(input)
        var state = ExperimentState(exposureMetric: "exposure", experimentDimension: "experiment", variantDimension: "variant")
        let loaded = state.load(Array(input.dropFirst(2)))
        #expect(!loaded)
    }

    /// FuzzBatchRecord: replay checked only times, values and dimension counts, so a logged
    /// record repeating a dimension key (two empty keys here) was replayed and would have been
    /// flushed into a segment breaking rule S3. Replay now checks the names it uses and that
    /// keys differ within each event (W6).
    @Test func aLoggedRecordRepeatingADimensionKeyIsNotReplayed() throws {
        let input = Self.bytes("ARP83rEAxH17S6bXUmdug74AxML0oAEAAA8KSW50ZXJJbWVudANleHAHdmFyaQoOAQAAAAAAAB5zdXJlBXhzMS0xBWJhdGNoBDEtczEGc3RyZWFtATEDckVsAnUwAnUxAnUyBGNvbnYFnoOfaAQGAAIAAQIDAAoMAQAAAAAAAOA/AgYHCAnAqQcKDQEAAAAAAAD4PwIICQYHwIkHCg4BAAAAAAAABEACBgcIAf3SDg4GAQAAAAAAkFZAAA==")
        FuzzEntryPoints.batchRecord(input)
        let record = try #require(BatchRecord.decode(input))
        #expect(!Validator.isReplayable(record.events))
        var valid = EventBatchBuilder.build([Event(timestamp: 1, metric: "m", dimensions: ["a": "x", "b": "y"])])
        #expect(Validator.isReplayable(valid))
        valid.dimensionKeys[1] = valid.dimensionKeys[0]
        #expect(!Validator.isReplayable(valid))
    }
}
