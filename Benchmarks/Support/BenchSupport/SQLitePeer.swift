import GRDB
import GRDBSQLite
import TallyWorkload

/// The SQLite peer: what many teams run today. An hourly rollup table keyed by metric, hour and
/// one column per dimension, upserted event by event with `INSERT … ON CONFLICT DO UPDATE`, one
/// transaction per batch, in WAL mode; plus a table of (metric, day, utm_source, unit) kept with
/// `ON CONFLICT DO NOTHING`, because a rollup cannot answer distinct counts (summing hourly
/// unique counts is wrong) and q3 needs them exactly.
public final class SQLitePeer {
    public let pool: DatabasePool
    /// Whether ingest also keeps `units_daily` (needed for q3). Without it the peer does half
    /// the upserts and cannot answer distinct counts.
    public let keepsUnits: Bool

    /// The workload's dimensions; each becomes a column ('' when an event lacks it).
    public static let dimensions = ["country", "device", "utm_source", "template_id", "experiment", "variant", "error_type"]

    /// `synchronous`: `FULL` syncs the WAL at every commit (like Tally's `full`), `NORMAL` only at
    /// checkpoints (like Tally's `normal`).
    public init(path: String, synchronous: String = "FULL", keepsUnits: Bool = true) throws {
        self.keepsUnits = keepsUnits
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in
            let dimensionColumns = Self.dimensions.map { "\($0) TEXT NOT NULL" }.joined(separator: ", ")
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS rollup_hourly (
                    metric TEXT NOT NULL, hour INTEGER NOT NULL, \(dimensionColumns),
                    events INTEGER NOT NULL, value_count INTEGER NOT NULL, value_sum REAL NOT NULL,
                    PRIMARY KEY (metric, hour, \(Self.dimensions.joined(separator: ", ")))
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS units_daily (
                    metric TEXT NOT NULL, day INTEGER NOT NULL, utm_source TEXT NOT NULL, unit TEXT NOT NULL,
                    PRIMARY KEY (metric, day, utm_source, unit)
                ) WITHOUT ROWID;
                """)
        }
    }

    /// One event as the peer binds it, prepared before any measurement.
    public struct Input: Sendable {
        var metric: String
        var hour: Int64
        var day: Int64
        var dimensions: [String]
        var unit: String
        var value: Double?
    }

    public static func rows(_ events: ArraySlice<GeneratedEvent>) -> [Input] {
        events.map { event in
            var values = [String](repeating: "", count: dimensions.count)
            for (key, value) in event.dimensions {
                if let index = dimensions.firstIndex(of: key) { values[index] = value }
            }
            return Input(
                metric: event.metric, hour: event.timestamp / 3_600_000 * 3_600_000,
                day: event.timestamp / 86_400_000 * 86_400_000, dimensions: values, unit: event.unit,
                value: event.value)
        }
    }

    public static func batches(_ events: [GeneratedEvent], size: Int) -> [[Input]] {
        stride(from: 0, to: events.count, by: size).map { rows(events[$0..<min($0 + size, events.count)]) }
    }

    static let upsertSQL = """
        INSERT INTO rollup_hourly (metric, hour, \(dimensions.joined(separator: ", ")), events, value_count, value_sum)
        VALUES (?, ?, \(dimensions.map { _ in "?" }.joined(separator: ", ")), 1, ?, ?)
        ON CONFLICT DO UPDATE SET events = events + 1, value_count = value_count + excluded.value_count,
            value_sum = value_sum + excluded.value_sum
        """
    static let unitSQL = "INSERT INTO units_daily (metric, day, utm_source, unit) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"

    /// One transaction: every event upserted into both tables, each value bound straight to
    /// the prepared statements with `sqlite3_bind_*` (GRDB's `StatementArguments` built an
    /// array of existentials per event: about half the peer's time).
    public func ingest(_ batch: [Input]) throws {
        try pool.write { db in
            let upsert = try db.cachedStatement(sql: Self.upsertSQL).sqliteStatement
            let unit = try db.cachedStatement(sql: Self.unitSQL).sqliteStatement
            for row in batch {
                bind(row.metric, to: upsert, at: 1)
                sqlite3_bind_int64(upsert, 2, row.hour)
                for (index, value) in row.dimensions.enumerated() { bind(value, to: upsert, at: Int32(index) + 3) }
                let next = Int32(row.dimensions.count) + 3
                sqlite3_bind_int64(upsert, next, row.value == nil ? 0 : 1)
                sqlite3_bind_double(upsert, next + 1, row.value ?? 0)
                try step(upsert, db)
                if keepsUnits {
                    bind(row.metric, to: unit, at: 1)
                    sqlite3_bind_int64(unit, 2, row.day)
                    bind(row.dimensions[2], to: unit, at: 3)
                    bind(row.unit, to: unit, at: 4)
                    try step(unit, db)
                }
            }
        }
    }

    /// The same upserts through GRDB's `StatementArguments`, as most GRDB code is written: the
    /// peer as the suite measured it before session 11.
    public func ingestWithStatementArguments(_ batch: [Input]) throws {
        try pool.write { db in
            let upsert = try db.cachedStatement(sql: Self.upsertSQL)
            let unit = try db.cachedStatement(sql: Self.unitSQL)
            for row in batch {
                var arguments: [any DatabaseValueConvertible] = [row.metric, row.hour]
                for value in row.dimensions { arguments.append(value) }
                arguments.append(row.value == nil ? 0 : 1)
                arguments.append(row.value ?? 0)
                try upsert.execute(arguments: StatementArguments(arguments))
                if keepsUnits { try unit.execute(arguments: [row.metric, row.day, row.dimensions[2], row.unit]) }
            }
        }
    }

    private func bind(_ text: String, to statement: OpaquePointer, at index: Int32) {
        var text = text
        text.withUTF8 { bytes in
            // SQLITE_TRANSIENT: SQLite copies the bytes before this returns.
            _ = sqlite3_bind_text(
                statement, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    private func step(_ statement: OpaquePointer, _ db: Database) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage) }
    }

    public func q1() throws -> [Answers.Q1Row] {
        try pool.read { db in
            try fetchRows(db, """
                SELECT metric, hour / 86400000 * 86400000 AS day, SUM(events) FROM rollup_hourly
                GROUP BY metric, day ORDER BY metric, day
                """).map { Answers.Q1Row(metric: $0[0], day: $0[1], events: UInt64($0[2] as Int64)) }
        }
    }

    public func q3(from: Int64) throws -> [Answers.Q3Row] {
        try pool.read { db in
            try fetchRows(db, """
                SELECT utm_source, COUNT(DISTINCT unit) AS units FROM units_daily
                WHERE metric = 'pageview' AND day >= ? GROUP BY utm_source ORDER BY units DESC, utm_source LIMIT 10
                """, [from]).map { Answers.Q3Row(source: $0[0], units: Double($0[1] as Int64)) }
        }
    }

    public func q4() throws -> [Answers.Q4Row] {
        try pool.read { db in
            try fetchRows(db, """
                SELECT hour, SUM(events) FROM rollup_hourly
                WHERE metric = 'pageview' AND template_id = 't0001' AND country = 'US'
                GROUP BY hour ORDER BY hour
                """).map { Answers.Q4Row(hour: $0[0], events: UInt64($0[1] as Int64)) }
        }
    }

    public func all(q3From: Int64) throws -> Answers {
        var answers = Answers()
        answers.q1 = try q1()
        answers.q3 = try q3(from: q3From)
        answers.q4 = try q4()
        return answers
    }

    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

private func fetchRows(_ db: Database, _ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
    try Row.fetchAll(db, sql: sql, arguments: arguments)
}
