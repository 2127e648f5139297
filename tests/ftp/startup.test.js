// What the Linux host says when it starts, for a person: one ready line on stdout, a log with
// plain level words on stderr (no xsbug tags), --version, and starts that fail naming their
// cause: an image another ftpd has (locked), a file that is not a LittleFS image (left as it
// was), a port in use (no new image left behind).
import {expect} from "chai";
import {spawn} from "node:child_process";
import {once} from "node:events";
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {createServer} from "node:net";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {ftpdBinary, startServer} from "./server.js";
import {RawClient} from "./raw.js";

/** Runs the host to its end (it is expected to exit by itself): its output and status. */
async function runHost(args) {
	const child = spawn(ftpdBinary(), args, {stdio: ["ignore", "pipe", "pipe"]});
	let stdout = "", stderr = "";
	child.stdout.setEncoding("utf8").on("data", text => stdout += text);
	child.stderr.setEncoding("utf8").on("data", text => stderr += text);
	const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
	const [code, signal] = await once(child, "exit");
	clearTimeout(timer);
	return {stdout, stderr, code, signal};
}

describe("startup output and the causes of a failed start", function () {
	this.timeout(120000);
	let dir;

	before(() => { ftpdBinary(); });
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "ftpd-startup-"));
	});
	afterEach(() => rmSync(dir, {recursive: true, force: true}));

	it("prints exactly one ready line on stdout; the log on stderr carries level words, not xsbug's tags", async () => {
		const server = await startServer({dir, args: ["--verbose", "1"]});
		try {
			const client = await RawClient.login(server.port, "anonymous", "guest@");
			client.close();
			// the server logs the session's end: then everything before it was written too
			const until = Date.now() + 10000;
			while (!/disconnected$/m.test(server.stderr) && (Date.now() < until))
				await new Promise(resolve => setTimeout(resolve, 20));
			expect(server.stdout).to.equal(`ftpd: listening on ftp://127.0.0.1:${server.port}/\n`);
			expect(server.stderr).to.match(/^ftpd: info: .*127\.0\.0\.1.* logged in$/m);
			expect(server.stderr).to.not.match(/<(info|warn|error)>/);
			// the ready line says where it listens: the log does not say it again
			expect(server.stderr).to.not.include("listening");
			for (const line of server.stderr.split("\n").filter(Boolean))
				expect(line).to.match(/^ftpd: (info|warning|error): /);
		}
		finally {
			await server.dispose();
		}
	});

	it("--version prints the version and exits 0", async () => {
		const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
		const {stdout, stderr, code} = await runHost(["--version"]);
		expect({stdout, stderr, code}).to.deep.equal({stdout: `ftpd ${pkg.version}\n`, stderr: "", code: 0});
	});

	it("an image another ftpd serves: \"image is in use by another ftpd (locked)\"", async () => {
		const image = join(dir, "shared.lfs");
		const first = await startServer({image, args: ["--verbose", "1"]});
		try {
			const {stdout, stderr, code} = await runHost(["--port", "0", "--image", image]);
			expect(code).to.equal(1);
			expect(stdout).to.equal("");
			expect(stderr).to.equal(`ftpd: error: cannot mount ${image}: image is in use by another ftpd (locked)\n`);
			// the first one is still serving it
			const client = await RawClient.login(first.port, "anonymous", "guest@");
			expect((await client.command("NOOP")).code).to.equal(200);
			client.close();
		}
		finally {
			await first.dispose();
		}
	});

	it("a file that is not a LittleFS image: \"not a LittleFS image (will not format an existing file)\", the file untouched", async () => {
		for (const [name, bytes] of [["notes.txt", Buffer.from("my notes, not an image\n")], ["zeros.bin", Buffer.alloc(65536)]]) {
			const file = join(dir, name);
			writeFileSync(file, bytes);
			const {stdout, stderr, code} = await runHost(["--port", "0", "--image", file]);
			expect(code, name).to.equal(1);
			expect(stdout, name).to.equal("");
			expect(stderr, name).to.equal(`ftpd: error: cannot mount ${file}: not a LittleFS image (will not format an existing file)\n`);
			expect(readFileSync(file).equals(bytes), name).to.equal(true);
		}
	});

	it("a port in use: the cause, and no new image left behind (an existing one is kept)", async () => {
		const taken = createServer().listen(0, "127.0.0.1");
		await once(taken, "listening");
		const {port} = taken.address();
		try {
			const image = join(dir, "new.lfs");
			const failed = await runHost(["--port", String(port), "--image", image]);
			expect(failed.code).to.equal(1);
			expect(failed.stdout).to.equal("");
			expect(failed.stderr).to.equal(`ftpd: error: cannot listen on 127.0.0.1:${port}: port ${port} is in use by another program (choose another with --port, or --port 0 for any free port)\n`);
			expect(existsSync(image), "the image it created").to.equal(false);

			// an image that was there before stays, as it was
			const server = await startServer({image, args: ["--verbose", "0"]});
			await server.stop("SIGTERM");
			const before = readFileSync(image);
			const again = await runHost(["--port", String(port), "--image", image]);
			expect(again.code).to.equal(1);
			expect(again.stderr).to.match(/is in use by another program/);
			expect(readFileSync(image).equals(before)).to.equal(true);
		}
		finally {
			taken.close();
		}
	});
});

describe("a build that cannot succeed: its cause and a hint, never a stack trace", function () {
	this.timeout(120000);

	it("npm start without GLib's development files (pkg-config finds no glib-2.0): names libglib2.0-dev", async () => {
		const empty = mkdtempSync(join(tmpdir(), "ftpd-nopc-"));
		try {
			const script = new URL("../../scripts/start.js", import.meta.url).pathname;
			// pkg-config looks only in an empty folder: as on a machine without libglib2.0-dev
			const child = spawn(process.execPath, [script, "--port", "0"], {env: {...process.env, PKG_CONFIG_LIBDIR: empty, PKG_CONFIG_PATH: ""}, stdio: ["ignore", "pipe", "pipe"]});
			let stdout = "", stderr = "";
			child.stdout.setEncoding("utf8").on("data", text => stdout += text);
			child.stderr.setEncoding("utf8").on("data", text => stderr += text);
			const [code] = await once(child, "exit");
			expect(code).to.equal(1);
			expect(stdout).to.equal("");
			expect(stderr.replace(/^warning: the Moddable SDK .*\n/, "")).to.equal([
				"ftpd: build failed: missing the GLib development files (pkg-config glib-2.0, gio-2.0): Debian package libglib2.0-dev",
				"  hint: sudo apt-get install libglib2.0-dev",
				""].join("\n"));
			expect(stderr).to.not.match(/^\s+at /m);
		}
		finally {
			rmSync(empty, {recursive: true, force: true});
		}
	});
});
