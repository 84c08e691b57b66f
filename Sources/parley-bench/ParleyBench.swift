import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Measures a release build of Parley on this machine: send→receive latency over SSE and
/// long-poll, sustained persisted messages per second, fan-out to many SSE listeners, and memory.
@main
struct ParleyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parley-bench", abstract: "Benchmark a Parley server.")

    static func main() async {
        // The load generator's tasks run on its event loops too: fewer threads competing with the server.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Self.main(nil)
    }

    @Option(help: "The parley executable to start (a release build).") var server = ".build/release/parley"
    @Option(help: "The migrations directory for the server.") var migrations = "sql"
    @Option(help: "Repetitions of each measurement; the report gives the median.") var runs = 3
    @Option(help: "Seconds each latency or throughput run lasts.") var seconds = 10
    @Option(help: "Listeners for the latency runs.") var listeners = 100
    @Option(help: "Messages per second during the latency runs.") var rate = 200
    @Option(help: "Concurrent senders for the throughput runs.") var senders = 64
    @Option(help: "SSE connections for the fan-out and memory runs.") var fanout = 10_000
    @Option(help: "Write the results as JSON to this file.") var output: String?
    @Option(help: "Comma-separated subset of: latency-sse,latency-longpoll,throughput,fanout") var only: String?

    static let scenarios = ["latency-sse", "latency-longpoll", "throughput", "fanout"]

    func run() async throws {
        raiseFileLimit()
        let wanted = (only ?? Self.scenarios.joined(separator: ",")).split(separator: ",").map(String.init)
        if let unknown = wanted.first(where: { !Self.scenarios.contains($0) }) { throw BenchError("unknown scenario \(unknown)") }
        // Several measurements: each in a load-generator process of its own (this program again,
        // with `--only`), against a server of its own, so that none inherits another's state. (I
        // suspected such state of slowing later runs; the machine's drift between minutes was as
        // large, so it is a precaution, not a measured fix.)
        if wanted.count > 1 {
            try runEachAlone(Self.scenarios.filter(wanted.contains))
            return
        }
        var results: [String: Any] = ["runs": runs, "machine_cores": ProcessInfo.processInfo.activeProcessorCount]
        var lines: [String] = []
        let userCount = max(listeners, senders, 200) + 1
        // Each measurement gets a server (and database) of its own.
        var process: ServerProcess!
        var bench: Bench!
        var tokens: [String] = []
        func freshServer() async throws {
            process?.stop()
            process = try await ServerProcess.start(executable: server, migrations: migrations)
            bench = Bench(port: process.port, group: MultiThreadedEventLoopGroup.singleton)
            say("server pid \(process.pid) on port \(process.port); registering users…")
            tokens = try await bench.users(count: userCount)
        }
        defer { process?.stop() }

        for transport in ["sse", "longpoll"] where wanted.contains("latency-\(transport)") {
            try await freshServer()
            var p50s: [Double] = []
            var p99s: [Double] = []
            var delivered: [Double] = []
            var https: [Double] = []
            var syncs: [Double] = []
            var commitFloors: [Double] = []
            var fanOutFloors: [Double] = []
            var serverCPUs: [Double] = []
            var databaseCPUs: [Double] = []
            var generatorCPUs: [Double] = []
            for run in 1...runs {
                let calibration = try await bench.calibrate(dataDirectory: process.directory.path)
                let floor = try await Floor.measure(dataDirectory: process.directory.path, listeners: listeners, interval: UInt64(1_000_000_000 / rate))
                let cpuBefore = process.cpuSeconds()
                let generatorBefore = ServerProcess.cpuSeconds(of: getpid())
                let result = try await bench.latency(
                    transport: transport, sender: tokens[0], listeners: Array(tokens[1...listeners]), rate: rate, seconds: seconds)
                let cpuAfter = process.cpuSeconds()
                let generatorAfter = ServerProcess.cpuSeconds(of: getpid())
                let messages = Double(rate * seconds)
                let serverCPU = (cpuAfter.server - cpuBefore.server) / messages * 1_000_000
                let databaseCPU = (cpuAfter.database - cpuBefore.database) / messages * 1_000_000
                // The whole run, settling seconds included: an upper bound on the listeners' and senders' share.
                let generatorCPU = (generatorAfter - generatorBefore) / messages * 1_000_000
                say(
                    "latency \(transport) run \(run): p50 \(fmt(result.p50)) ms, p99 \(fmt(result.p99)) ms, delivered \(fmt(result.deliveredRatio * 100))%; "
                        + "POST round trip p50 \(fmt(result.postP50)) ms; machine: GET /healthz p50 \(fmt(calibration.httpP50)) ms, 4 KiB fdatasync p50 \(fmt(calibration.syncP50)) ms; "
                        + "floors at this pace: post_message CALL p50 \(fmt(floor.commitP50)) ms, raw fan-out to \(listeners) sockets p50 \(fmt(floor.fanOutP50)) ms; "
                        + "CPU per message: server \(Int(serverCPU)) µs, MariaDB \(Int(databaseCPU)) µs, load generator \(Int(generatorCPU)) µs"
                )
                serverCPUs.append(serverCPU)
                databaseCPUs.append(databaseCPU)
                generatorCPUs.append(generatorCPU)
                commitFloors.append(floor.commitP50)
                fanOutFloors.append(floor.fanOutP50)
                p50s.append(result.p50)
                p99s.append(result.p99)
                delivered.append(result.deliveredRatio)
                https.append(calibration.httpP50)
                syncs.append(calibration.syncP50)
            }
            if let trace = ProcessInfo.processInfo.environment["PARLEY_TRACE"] {
                // A trace build writes the file once the posts have paused for a second.
                try await Task.sleep(for: .milliseconds(2500))
                let stages = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? "no trace written (is the server a trace build?)\n"
                say("where a post's time goes in the server (\(transport), ms after the send, medians over posts):\n" + stages)
            }
            results["latency_\(transport)"] = [
                "p50_ms": median(p50s), "p99_ms": median(p99s), "delivered": median(delivered), "healthz_p50_ms": median(https),
                "fdatasync_p50_ms": median(syncs), "floor_commit_p50_ms": median(commitFloors), "floor_fanout_p50_ms": median(fanOutFloors),
                "server_cpu_us_per_message": median(serverCPUs), "database_cpu_us_per_message": median(databaseCPUs),
                "generator_cpu_us_per_message": median(generatorCPUs),
            ]
            lines.append(
                "| send→receive latency, \(listeners) \(transport == "sse" ? "SSE" : "long-poll") listeners, \(rate) msg/s | p50 ≤ 1 ms, p99 ≤ 5 ms | p50 \(fmt(median(p50s))) ms, p99 \(fmt(median(p99s))) ms (median of \(runs)) |")
        }

        if wanted.contains("throughput") {
            try await freshServer()
            var rates: [Double] = []
            for run in 1...runs {
                let perSecond = try await bench.throughput(senders: Array(tokens[1...senders]), seconds: seconds)
                say("throughput run \(run): \(Int(perSecond)) messages/s")
                rates.append(perSecond)
            }
            results["throughput_per_s"] = median(rates)
            lines.append("| persisted messages/s, \(senders) concurrent senders | ≥ 5,000/s | \(Int(median(rates)))/s (median of \(runs)) |")
        }

        // Fan-out comes last: the generator holds 10,000 connections for it.
        if wanted.contains("fanout") {
            try await freshServer()
            let baseline = process.residentMegabytes()
            let fan = try await bench.fanout(connections: fanout, listeners: Array(tokens[1...200]), sender: tokens[0], runs: runs) {
                process.residentMegabytes()
            }
            say("fan-out to \(fanout) SSE listeners: all delivered in \(fan.allDelivered.map(fmt)) ms; RSS \(fmt(baseline)) MB idle → \(fmt(fan.rssMegabytes)) MB")
            results["fanout_ms"] = median(fan.allDelivered)
            results["rss_mb_idle_server"] = baseline
            results["rss_mb_with_connections"] = fan.rssMegabytes
            lines.append("| fan-out: one message to \(fanout) SSE listeners, all delivered | ≤ 150 ms | \(fmt(median(fan.allDelivered))) ms (median of \(runs)) |")
            lines.append("| server RSS with \(fanout) idle SSE connections | ≤ 250 MB | \(fmt(fan.rssMegabytes)) MB (\(fmt(baseline)) MB before connecting) |")
        }

        say("\n| measurement | target | result |\n| --- | --- | --- |")
        for line in lines { say(line) }
        results["table"] = lines
        if let output {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: output))
        }
    }

    /// Runs each scenario in a child process of this program and merges their results.
    private func runEachAlone(_ scenarios: [String]) throws {
        var results: [String: Any] = [:]
        var lines: [String] = []
        for scenario in scenarios {
            let partial = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-\(getpid())-\(scenario).json")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = [
                "--server", server, "--migrations", migrations, "--runs", String(runs), "--seconds", String(seconds), "--listeners",
                String(listeners), "--rate", String(rate), "--senders", String(senders), "--fanout", String(fanout), "--only", scenario,
                "--output", partial.path,
            ]
            try child.run()
            child.waitUntilExit()
            guard child.terminationStatus == 0 else { throw BenchError("\(scenario) failed (exit status \(child.terminationStatus))") }
            let data = try Data(contentsOf: partial)
            try? FileManager.default.removeItem(at: partial)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw BenchError("\(scenario): unreadable results") }
            lines += object["table"] as? [String] ?? []
            for (key, value) in object where key != "table" { results[key] = value }
        }
        say("\n| measurement | target | result |\n| --- | --- | --- |")
        for line in lines { say(line) }
        if let output {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: output))
        }
    }
}

/// Prints a line at once (stdout may be a file, which would otherwise buffer until exit).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func fmt(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.0f", value) }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
    return Double(sorted[max(0, index)]) / 1_000_000
}

func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// The server under test: a release `parley serve` with its own embedded, durable MariaDB.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let directory: URL
    var pid: Int32 { process.processIdentifier }

    static func start(executable: String, migrations: String) async throws -> ServerProcess {
        let directory = URL(fileURLWithPath: "/tmp/parley-bench-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let port = Int.random(in: 20_000...40_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "serve", "--port", String(port), "--data-dir", directory.path, "--migrations-dir", URL(fileURLWithPath: migrations).path,
            "--log-level", ProcessInfo.processInfo.environment["PARLEY_BENCH_SERVER_LOG"] ?? "error",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["PARLEY_BCRYPT_COST"] = "10"
        // The benchmark measures the server, not its abuse limits.
        for name in [
            "PARLEY_RATE_LOGIN_IP", "PARLEY_RATE_LOGIN_USER", "PARLEY_RATE_REGISTER_IP", "PARLEY_RATE_REGISTER_USER", "PARLEY_RATE_MESSAGES",
            "PARLEY_RATE_ROOMS", "PARLEY_RATE_JOINS", "PARLEY_RATE_TYPING", "PARLEY_RATE_DRAFTS",
        ] {
            environment[name] = "1000000/1"
        }
        environment["PARLEY_DB_POOL_SIZE"] = environment["PARLEY_DB_POOL_SIZE"] ?? "32"
        process.environment = environment
        let log = FileHandle(forWritingAtPath: directory.appendingPathComponent("server.log").path)
            ?? { FileManager.default.createFile(atPath: directory.appendingPathComponent("server.log").path, contents: nil); return FileHandle(forWritingAtPath: directory.appendingPathComponent("server.log").path)! }()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let server = ServerProcess(process: process, port: port, directory: directory)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if !process.isRunning { throw BenchError("the server exited; see \(directory.path)/server.log") }
            if let connection = try? await HTTPConnection.connect(host: "127.0.0.1", port: port, group: MultiThreadedEventLoopGroup.singleton) {
                let ready = try? await connection.request(.GET, "/readyz")
                await connection.close()
                if ready?.status == 200 { return server }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        server.stop()
        throw BenchError("the server did not become ready")
    }

    private init(process: Process, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// CPU seconds used so far (user + system) by the server and by its MariaDB.
    func cpuSeconds() -> (server: Double, database: Double) {
        let databasePid = (try? String(contentsOfFile: directory.path + "/db/mariadb.pid", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (Self.cpuSeconds(of: pid), databasePid.map(Self.cpuSeconds(of:)) ?? .nan)
    }

    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return .nan }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return .nan }
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan
        return kilobytes / 1024
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        if ProcessInfo.processInfo.environment["PARLEY_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(at: directory) }
    }
}
