// A private PostgreSQL server for one test: `initdb` into the lab's temp dir as the `postgres` OS
// user, `pg_ctl start` on 127.0.0.1 with a test port (never the system cluster on 5432), a role
// and a database with a password, `psql` queries as that role over TCP (password login, as the SBC
// does), and `pg_ctl stop -m fast` to take it away and `start` to bring it back.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class PostgresInstance {
    /// The newest `/usr/lib/postgresql/<version>/bin` that has initdb, pg_ctl and postgres.
    static var binDirectory: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql", isDirectory: true)
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            .map { root.appendingPathComponent($0).appendingPathComponent("bin", isDirectory: true) }
            .first { bin in
                ["initdb", "pg_ctl", "postgres"].allSatisfy {
                    FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent($0).path)
                }
            }
    }

    static var psqlBinary: URL? {
        Tools.which("psql") ?? binDirectory.map { $0.appendingPathComponent("psql") }
    }

    static var isInstalled: Bool { binDirectory != nil && psqlBinary != nil && runuser != nil }

    static let notInstalled = """
        PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin with initdb, pg_ctl and postgres, \
        or no psql/runuser; Debian package postgresql): ./scripts/test installs it
        """

    static var runuser: URL? { Tools.systemBinary("runuser") }

    let lab: Lab
    let port: UInt16
    let database: String
    let user: String
    let password: String
    let bin: URL
    /// The server's own directory (owned by `postgres`): data/, the unix socket, the log.
    let root: URL
    var dataDirectory: URL { root.appendingPathComponent("data", isDirectory: true) }
    var logURL: URL { root.appendingPathComponent("postgres.log") }
    private(set) var running = false

    /// `postgres://USER@127.0.0.1:PORT/DATABASE`, the SBC's `store.url` form (no password).
    var url: String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    /// initdb + start + role and database. Throws with the server log when any step fails.
    init(lab: Lab, port: UInt16, database: String = "sbc", user: String = "sbc", password: String) async throws {
        guard let bin = Self.binDirectory, Self.runuser != nil else { throw HarnessError(Self.notInstalled) }
        self.lab = lab
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.bin = bin
        self.root = lab.directory.appendingPathComponent("postgres", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.ownerAccountName: "postgres", .posixPermissions: 0o700],
                                              ofItemAtPath: root.path)
        try await asPostgres("initdb", [bin.appendingPathComponent("initdb").path, "-D", dataDirectory.path,
                                        "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                                        "-E", "UTF8", "--no-sync", "--no-instructions"], timeout: .seconds(60))
        do {
            try await start()
            try await createRole()
        } catch {
            running = true   // whatever started goes again (pg_ctl stop, or the postmaster's PID)
            await stop()
            throw error
        }
    }

    private func createRole() async throws {
        try await asPostgres("create-role", [
            Self.psqlBinary!.path, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", root.path, "-p", String(port),
            "-d", "postgres",
            "-c", "CREATE ROLE \(user) LOGIN PASSWORD '\(password)'",
            "-c", "CREATE DATABASE \(database) OWNER \(user)",
        ], timeout: .seconds(20))
    }

    /// `pg_ctl start` (waits until the server accepts connections).
    func start() async throws {
        // Test-only durability settings: nothing here needs to survive a machine crash.
        let options = "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 "
            + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try await asPostgres("pg_ctl-start", [bin.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path,
                                              "-o", options, "-l", logURL.path, "-w", "-t", "30", "start"],
                             timeout: .seconds(40))
        running = true
    }

    /// `pg_ctl stop -m fast`: connections are closed at once, the server is gone when it returns.
    /// Falls back to SIGQUIT/SIGKILL of the postmaster's PID (from postmaster.pid) if that fails.
    func stop() async {
        guard running else { return }
        do {
            try await asPostgres("pg_ctl-stop", [bin.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path,
                                                 "-m", "fast", "-w", "-t", "20", "stop"], timeout: .seconds(25))
        } catch {
            if let pid = postmasterPID {
                _ = kill(pid, SIGQUIT)
                try? await Task.sleep(for: .seconds(2))
                if kill(pid, 0) == 0 { _ = kill(pid, SIGKILL) }
            }
        }
        running = false
    }

    /// The postmaster's PID while it runs (first line of data/postmaster.pid).
    var postmasterPID: pid_t? {
        guard let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8)
        else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Runs `sql` with `psql -tA` as the store's role over TCP with its password; the rows, one a line.
    func query(_ sql: String, name: String = "psql") async throws -> [String] {
        let result = try await lab.run(name, URL(fileURLWithPath: "/usr/bin/env"), [
            "PGPASSWORD=\(password)", "PGCONNECT_TIMEOUT=3", Self.psqlBinary!.path, "-X", "-q", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-tAc", sql,
        ], timeout: .seconds(10))
        guard result.succeeded else { throw HarnessError("psql \(sql): \(result)") }
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// The server log's last lines, for failure messages.
    func logTail(_ bytes: Int = 3000) -> String {
        "--- postgres log (\(logURL.path)):\n" + fileTail(logURL, maxBytes: bytes)
    }

    private func asPostgres(_ name: String, _ command: [String], timeout: Duration) async throws {
        let result = try await lab.run(name, Self.runuser!, ["-u", "postgres", "--"] + command, timeout: timeout)
        guard result.succeeded else {
            throw HarnessError("\(command.first ?? name) as postgres failed: \(result)\n\(logTail())")
        }
    }
}
