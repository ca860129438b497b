import BenchmarkSupport
import Foundation

// `swift run -c release messaging-benchmark [--help]`: see Benchmark.swift and docs/benchmarks.md.
let status = await Benchmark.main(arguments: Array(CommandLine.arguments.dropFirst()))
exit(status)
