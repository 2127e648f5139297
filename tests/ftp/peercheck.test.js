// The commit check of the Linux host (tcppeer, hosts/lin/sockets/tcp_peer.c) for clients on this
// machine: before an upload replaces its target, the client's process is asked, and a client
// whose every thread sleeps (it waits for the 226) is answered at once instead of after the
// grace. Observed through the session's log at verbosity 2, which says how each check was
// answered ("peer check: peer process sleeping", "peer check: grace", ...); no timings.
import {expect} from "chai";
import {execFile} from "node:child_process";
import {randomBytes} from "node:crypto";
import {readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {promisify} from "node:util";
import {startServer} from "./server.js";

const run = promisify(execFile);
const CONTENT = randomBytes(64 * 1024);
const PING_PONG_ROUNDS = 40;

/**
 * How a check of a complete upload by a live client may be answered: its process seen sleeping,
 * or, on a busy machine, still running through the whole grace (and more).
 */
const COMMITTED = /^(peer process sleeping|grace, peer process running|grace and more, peer process running on a busy machine)$/;

/** How the commit checks of `log` were answered. */
const peerChecks = log => [...log.matchAll(/ peer check: (.+)$/gm)].map(m => m[1]);

/** Starts a server with `env` set for it (FTPD_CLOSE_GRACE_US, FTPD_PEER_PROCESS). */
async function serverWith(env = {}) {
	const saved = {};
	for (const [name, value] of Object.entries(env)) {
		saved[name] = process.env[name];
		process.env[name] = value;
	}
	try {
		return await startServer();
	}
	finally {
		for (const [name, value] of Object.entries(saved)) {
			if (value === undefined)
				delete process.env[name];
			else
				process.env[name] = value;
		}
	}
}

/** `count` uploads with curl over the same file, each on its own connection; the log since. */
async function curlUploads(server, count) {
	const local = join(server.dir, "local.bin");
	writeFileSync(local, CONTENT);
	const mark = server.stderr.length;
	for (let i = 0; i < count; i++)
		await run("curl", ["-sS", "--max-time", "30", "-T", local, `${server.url}/up.bin`]);
	return server.stderr.slice(mark);
}

/** A Python ftplib client, one process, one connection: `script` runs with `f` logged in. */
async function python(server, script) {
	const {stdout} = await run("python3", ["-c", `
import ftplib, io, os, sys, time
f = ftplib.FTP()
f.connect("127.0.0.1", ${server.port})
f.login()
${script}
f.quit()
`]);
	return stdout;
}

describe("the commit check asks a client's process on this machine", function () {
	this.timeout(120000);

	describe("by default: a sleeping client is committed at once", () => {
		let server;
		before(async () => {
			server = await serverWith();
		});
		after(async () => {
			await server?.dispose();
		});

		it("curl, a single-threaded client, waiting for its 226 is seen sleeping", async () => {
			const log = await curlUploads(server, 5);
			const checks = peerChecks(log);
			expect(checks, log).to.have.length(5);
			// every upload is committed (226), most at once; some may have found curl still
			// running (or preempted) through the whole grace on a busy machine
			expect((log.match(/< 226 Transfer complete\./g) ?? []).length).to.equal(5);
			expect(checks.filter(how => how === "peer process sleeping").length, checks.join("\n")).to.be.at.least(1);
			expect(checks.every(how => COMMITTED.test(how)), checks.join("\n")).to.equal(true);
			const copy = join(server.dir, "copy.bin");
			await run("curl", ["-sS", "--max-time", "30", "-o", copy, `${server.url}/up.bin`]);
			expect(readFileSync(copy).equals(CONTENT)).to.equal(true);
		});

		it("one connection's process is found once and asked at each upload", async () => {
			const mark = server.stderr.length;
			await python(server, `
for i in range(10):
    f.storbinary("STOR py.bin", io.BytesIO(b"%d" % i * 4096))
`);
			const log = server.stderr.slice(mark);
			const checks = peerChecks(log);
			expect(checks, log).to.have.length(10);
			expect(checks.filter(how => how === "peer process sleeping").length, checks.join("\n")).to.be.at.least(1);
			expect(checks.every(how => COMMITTED.test(how)), checks.join("\n")).to.equal(true);
		});

		it("a control connection shared with a forked process is not trusted: the grace", async () => {
			// the child holds the parent's sockets (fork): its closes would count as well
			const mark = server.stderr.length;
			await python(server, `
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
try:
    f.storbinary("STOR shared.bin", io.BytesIO(b"s" * 4096))
finally:
    os.kill(child, 9)
    os.waitpid(child, 0)
`);
			const checks = peerChecks(server.stderr.slice(mark));
			expect(checks).to.deep.equal(["grace"]);
		});

		it("a client whose threads hand the CPU to each other between its two closes is not committed", async () => {
			// After closing its data connection the client's main thread passes a token through a
			// pipe to a second thread and waits for it back, for less than the grace, then closes
			// its control connection: at every instant one of the two runs or is runnable, though
			// each, read alone, is often seen sleeping (a quarter of the uploads were committed
			// when the threads were read once, one after the other). Only a sleep common to all
			// threads may commit at once.
			const mark = server.stderr.length;
			await python(server, `
import threading
go_r, go_w = os.pipe()
back_r, back_w = os.pipe()
def partner():
    while os.read(go_r, 1) == b"g":
        os.write(back_w, b"b")
thread = threading.Thread(target=partner)
thread.start()
f.voidcmd("TYPE I")
for i in range(${PING_PONG_ROUNDS}):
    conn = f.transfercmd("STOR pingpong.bin")
    conn.sendall(b"p" * 4096)
    conn.close()
    until = time.perf_counter() + 400e-6
    while time.perf_counter() < until:
        os.write(go_w, b"g")
        os.read(back_r, 1)
    f.close()
    f.connect("127.0.0.1", ${server.port})
    f.login()
    f.voidcmd("TYPE I")
os.write(go_w, b"q")
thread.join()
`);
			const checks = peerChecks(server.stderr.slice(mark));
			expect(checks).to.have.length.above(PING_PONG_ROUNDS / 2);
			expect(checks.filter(how => how === "peer process sleeping")).to.deep.equal([]);
		});

		it("the connections of one client process share what is kept open on it", async () => {
			// each look keeps the stat and schedstat of every thread open: per connection, a
			// many-threaded client with many sessions would take the server's fds
			const out = await python(server, `
import threading
idle = threading.Event()
threads = [threading.Thread(target=idle.wait) for _ in range(5)]
for thread in threads:
    thread.start()
fds = lambda: len(os.listdir("/proc/${server.proc.pid}/fd"))
f.storbinary("STOR shared.bin", io.BytesIO(b"s" * 4096))
before = fds()
more = []
for i in range(6):
    g = ftplib.FTP()
    g.connect("127.0.0.1", ${server.port})
    g.login()
    g.storbinary("STOR shared.bin", io.BytesIO(b"s" * 4096))
    more.append(g)
print(fds() - before)
for g in more:
    g.quit()
idle.set()
for thread in threads:
    thread.join()
`);
			const checks = peerChecks(server.stderr);
			expect(checks).to.include("peer process sleeping");
			// 6 control connections, and nothing per connection for the 6 threads' 12 files
			expect(Number(out.trim())).to.be.within(6, 6 + 5);
		});

		it("a client with more threads than are kept open gets the grace", async () => {
			const mark = server.stderr.length;
			await python(server, `
import threading
idle = threading.Event()
threads = [threading.Thread(target=idle.wait) for _ in range(20)]
for thread in threads:
    thread.start()
f.storbinary("STOR many.bin", io.BytesIO(b"m" * 4096))
idle.set()
for thread in threads:
    thread.join()
`);
			expect(peerChecks(server.stderr.slice(mark))).to.deep.equal(["grace"]);
		});

		it("a client that closes its control connection right after its data connection is not committed", async () => {
			// the data connection, then the control connection, closed by a running process:
			// seen running or its end closed, never sleeping with its end open
			const mark = server.stderr.length;
			await python(server, `
f.voidcmd("TYPE I")
for i in range(5):
    conn = f.transfercmd("STOR closing.bin")
    conn.sendall(b"c" * 4096)
    conn.close()
    f.close()
    f.connect("127.0.0.1", ${server.port})
    f.login()
`);
			const log = server.stderr.slice(mark);
			expect(log).not.to.match(/< 226 Transfer complete\./);
			expect(peerChecks(log).filter(how => how === "peer process sleeping")).to.deep.equal([]);
		});
	});

	it("FTPD_PEER_PROCESS=grace: a sleeping client waits the grace; the process never commits an upload sooner", async () => {
		const server = await serverWith({FTPD_PEER_PROCESS: "grace"});
		try {
			const log = await curlUploads(server, 5);
			const checks = peerChecks(log);
			expect(checks, log).to.have.length(5);
			expect((log.match(/< 226 Transfer complete\./g) ?? []).length).to.equal(5);
			expect(checks.filter(how => how === "peer process sleeping"), checks.join("\n")).to.deep.equal([]);
			expect(checks.every(how => /^grace/.test(how)), checks.join("\n")).to.equal(true);
		}
		finally {
			await server.dispose();
		}
	});

	for (const [env, expected] of [[{FTPD_PEER_PROCESS: "0"}, "grace (peer process not asked)"], [{FTPD_CLOSE_GRACE_US: "1000"}, "grace (fixed)"]]) {
		it(`${Object.entries(env).map(([name, value]) => `${name}=${value}`).join(" ")}: the grace alone`, async () => {
			const server = await serverWith(env);
			try {
				const checks = peerChecks(await curlUploads(server, 3));
				expect(checks).to.deep.equal([expected, expected, expected]);
			}
			finally {
				await server.dispose();
			}
		});
	}
});
