import Foundation

// tally-stress: the child and parent processes of the multi-process reliability procedures
// (issue 7, procedures 1 and 9). See RELIABILITY.md for the commands and what they check.
//
//   tally-stress write DB [--start 0:0,1:0] [--seed 1] [--flush-ms 20] [--query] [--batches N]
//                         [--maintenance-ms N]
//   tally-stress read DB [--seed 1]
//   tally-stress kill-loop [--dir D] [--cycles 200] [--streams 3] [--seed 1] [--max-delay-ms 400]
//   tally-stress readers [--dir D] [--count 1000] [--parallel 2] [--streams 3] [--seed 1]
//   tally-stress probe FILE | probe --import NDJSON DB
//
// Every command prints `RELIABILITY-FIGURES …` lines where it has figures, and exits 0 when it
// found no violation, 1 when it did, 2 on a usage or set-up error.

signal(SIGPIPE, SIG_IGN)
var arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
do {
    switch arguments.command {
    case "write": try Writer(&arguments).run()
    case "read": exit(try ReadCheck(&arguments).run())
    case "kill-loop": exit(try KillLoop(&arguments).run())
    case "readers": exit(try Readers(&arguments).run())
    case "probe": exit(try Probe(&arguments).run())
    default:
        FileHandle.standardError.write(Data("usage: tally-stress write|read|kill-loop|readers|probe …\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("tally-stress: \(error)\n".utf8))
    exit(2)
}
