// npm run soak [-- --minutes N] [--workers N] [--release] [--verbose 1|2 --log FILE]: a soak of
// the XS Linux host (--log: the host's log, at --verbose, into FILE).
//
// 8 clients (--workers) run a random mix of verified operations for N minutes (default 2)
// against one host: uploads of new files and over existing ones, each read back and compared
// byte for byte; downloads; REST resumes; ABOR in the middle of a download (426 then 226) and
// right after its last byte (the transfer's 226, then ABOR's 226); renames;
// deletes; listings (LIST, MLSD, NLST, STAT) compared with what the client knows it stored,
// with no temporary upload name in them; and abrupt disconnects in the middle of uploads (reset,
// control closed first, data closed first) and downloads, after which the old file must be there
// whole, or no file at all. Each client works in a folder of its own and keeps the expected
// contents of its files, so every answer is checked; a failure is recorded with its reason, the
// client drops its session and forgets the files it is no longer sure of.
//
// Meanwhile it samples the host's memory (VmRSS, and RssAnon: the process's own memory without
// the image's file mapping, which grows as more of the image is touched), its open fds, and the
// XS heap (SITE FREE, live data after a collection, read natively in every build). The soak
// builds the instrumented host unless --release is given, the same server code and memory
// settings (hosts/lin/budget/linux.json); a build whose SITE FREE answers 504 is not sampled.
//
// "Flat": the largest sample of the last quarter of the run is no more than the largest of the
// first quarter plus a tolerance (RssAnon: 2 MiB or 10 %; fds: 4; XS heap: 16 KiB or 10 %).
// VmRSS is reported but not judged (the image's mapping).
//
// Ends with the operations per kind, the failures with their reasons, the samples, and
// "N passed, N failed" (N: verified operations); exits 1 on any failure, on unflat growth, or
// when the host does not exit cleanly on SIGTERM at the end.
import net from "node:net";
import {randomBytes, createHash} from "node:crypto";
import {createWriteStream, readFileSync, readdirSync} from "node:fs";
import {parseArgs} from "node:util";
import {startServer} from "../tests/ftp/server.js";
import {RawClient} from "../tests/ftp/raw.js";
import {buildHost} from "./sdk.js";
import {buildMeasuredHost} from "../hosts/lin/budget/variants.js";

const KiB = 1024, MiB = 1024 * KiB;
/** a reply may wait for the shared data channel (the host's --data-wait-timeout is 30 s) */
const REPLY_TIMEOUT = 45000;
/** per client: the bytes it keeps on the host, and its number of files */
const WORKER_BYTES = 4 * MiB, WORKER_FILES = 16;
const ABOR_FILE = "abor.bin", ABOR_SIZE = 12 * MiB;

const {values: options} = parseArgs({
	options: {
		minutes: {type: "string", default: "2"},
		workers: {type: "string", default: "8"},
		release: {type: "boolean", default: false},
		verbose: {type: "string", default: "0"},
		log: {type: "string"},
	},
});
const minutes = Number(options.minutes), workerCount = Number(options.workers);
const verbosity = Number(options.verbose);
if (!(minutes > 0) || !Number.isInteger(workerCount) || (workerCount < 1) || ![0, 1, 2].includes(verbosity) || (verbosity && !options.log)) {
	console.error("usage: npm run soak -- [--minutes N] [--workers N] [--release] [--verbose 1|2 --log FILE]");
	process.exit(2);
}

const sha = data => createHash("sha256").update(data).digest("hex");
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const pick = list => list[Math.floor(Math.random() * list.length)];

/** Mostly small files, some of a few hundred KiB, a few of up to 2 MiB. */
function randomSize() {
	const r = Math.random();
	if (r < 0.55)
		return Math.floor(Math.random() * 16 * KiB);
	if (r < 0.9)
		return 16 * KiB + Math.floor(Math.random() * 240 * KiB);
	return 256 * KiB + Math.floor(Math.random() * (2 * MiB - 256 * KiB));
}

class Failure extends Error {}

/** Throws a Failure unless the reply has the code. */
function expectCode(reply, code, what) {
	if (reply.code !== code)
		throw new Failure(`${what}: expected ${code}, got ${reply.closed ? "the connection closed" : JSON.stringify(reply.text)}`);
	return reply;
}

// ---- statistics

const stats = new Map();	// kind -> {passed, failed}
const failures = [];		// {kind, worker, reason, at}
/** when the clients started (after the build): failures and samples are timed from it */
let started = Date.now();
let deadline = 0;

function count(kind, ok, worker, reason) {
	const s = stats.get(kind) ?? {passed: 0, failed: 0};
	stats.set(kind, s);
	if (ok)
		s.passed++;
	else {
		s.failed++;
		fail({kind, worker, reason});
	}
}

/** Records a failure, and shows the first ones as they come. */
function fail(failure) {
	failure.at = ((Date.now() - started) / 1000).toFixed(1);
	failures.push(failure);
	if (failures.length <= 10)
		console.log(`soak: failure at ${failure.at} s, ${failure.kind}${failure.worker !== undefined ? ` (client ${failure.worker})` : ""}: ${failure.reason}`);
}

// ---- data connections

/** PASV or EPSV, then connects; resolves the socket (errors after that are ignored). */
async function openData(c, epsv) {
	const reply = await c.command(epsv ? "EPSV" : "PASV", REPLY_TIMEOUT);
	let port;
	if (epsv) {
		expectCode(reply, 229, "EPSV");
		port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply.text)?.[1]);
	}
	else {
		expectCode(reply, 227, "PASV");
		const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text);
		port = m && (Number(m[5]) * 256 + Number(m[6]));
	}
	if (!port)
		throw new Failure(`unreadable ${reply.text}`);
	const socket = net.connect(port, "127.0.0.1");
	await new Promise((resolve, reject) => {
		socket.once("connect", resolve);
		socket.once("error", error => reject(new Failure(`data connection: ${error.message}`)));
	});
	socket.on("error", () => {});
	return socket;
}

/** Everything the data connection delivers until its end (or its close). */
function receive(socket) {
	return new Promise(resolve => {
		const chunks = [];
		socket.on("data", chunk => chunks.push(chunk));
		socket.on("close", () => resolve(Buffer.concat(chunks)));
	});
}

/** Resolves when the socket is closed, or rejects after `ms`. */
function closed(socket, ms, what) {
	if (socket.destroyed)
		return Promise.resolve();
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Failure(`${what}: the data connection was not closed in ${ms / 1000} s`)), ms);
		socket.once("close", () => { clearTimeout(timer); resolve(); });
	});
}

// ---- one client

class Worker {
	constructor(index, port) {
		this.index = index;
		this.port = port;
		this.folder = `/w${index}`;
		/** name -> the bytes the host must have */
		this.files = new Map();
		this.serial = 0;
		this.c = undefined;
		this.commandsInSession = 0;
		/** names whose content is not known after a failure: deleted at the next login */
		this.unsure = new Set();
		/** the operation under way, and since when (undefined between operations) */
		this.kind = "login";
		this.busySince = undefined;
	}

	get bytes() {
		let total = 0;
		for (const data of this.files.values())
			total += data.length;
		return total;
	}

	newName() {
		const n = this.serial++;
		return (n % 5 === 4) ? `é ${n}.bin` : `f${n}.bin`;
	}

	/** The session, logged in and in the client's folder; `keep`: a name in doubt not to delete yet. */
	async session(keep) {
		if (this.c)
			return this.c;
		const c = await RawClient.connect(this.port);
		expectCode(await c.reply(REPLY_TIMEOUT), 220, "greeting");
		expectCode(await c.command("USER anonymous", REPLY_TIMEOUT), 331, "USER");
		expectCode(await c.command("PASS soak@", REPLY_TIMEOUT), 230, "PASS");
		expectCode(await c.command("TYPE I", REPLY_TIMEOUT), 200, "TYPE I");
		const cwd = await c.command(`CWD ${this.folder}`, REPLY_TIMEOUT);
		if (cwd.code !== 250) {
			expectCode(await c.command(`MKD ${this.folder}`, REPLY_TIMEOUT), 257, "MKD");
			expectCode(await c.command(`CWD ${this.folder}`, REPLY_TIMEOUT), 250, "CWD");
		}
		for (const name of this.unsure) {
			if (name === keep)
				continue;
			const reply = await c.command(`DELE ${name}`, REPLY_TIMEOUT);
			if ((reply.code !== 250) && (reply.code !== 550))
				throw new Failure(`DELE ${name} after a failure: ${reply.text}`);
			this.files.delete(name);
		}
		this.unsure.clear();
		if (keep !== undefined)
			this.unsure.add(keep);
		this.c = c;
		this.commandsInSession = 0;
		return c;
	}

	drop() {
		this.c?.close();
		this.c = undefined;
	}

	async command(line, code) {
		return expectCode(await this.c.command(line, REPLY_TIMEOUT), code, line);
	}

	async store(name, data, verb = "STOR") {
		const c = this.c;
		const socket = await openData(c, Math.random() < 0.5);
		const opening = await c.command(`${verb} ${name}`, REPLY_TIMEOUT);
		if (opening.code !== 150) {
			socket.destroy();
			expectCode(opening, 150, `${verb} ${name}`);
		}
		socket.end(data);
		expectCode(await c.reply(REPLY_TIMEOUT), 226, `${verb} ${name} (${data.length} bytes)`);
	}

	async fetch(name, rest) {
		const c = this.c;
		if (rest !== undefined)
			await this.command(`REST ${rest}`, 350);
		const socket = await openData(c, Math.random() < 0.5);
		const received = receive(socket);
		const opening = await c.command(`RETR ${name}`, REPLY_TIMEOUT);
		if (opening.code !== 150) {
			socket.destroy();
			expectCode(opening, 150, `RETR ${name}`);
		}
		const bytes = await received;
		expectCode(await c.reply(REPLY_TIMEOUT), 226, `RETR ${name}`);
		return bytes;
	}

	async verifyContent(name, what) {
		const expected = this.files.get(name);
		const bytes = await this.fetch(name);
		if (sha(bytes) !== sha(expected))
			throw new Failure(`${what}: ${name} read back ${bytes.length} bytes, not the ${expected.length} stored`);
	}

	async verifyAbsent(name, what) {
		const reply = await this.c.command(`SIZE ${name}`, REPLY_TIMEOUT);
		if (reply.code !== 550)
			throw new Failure(`${what}: ${name} should not exist, SIZE gave ${reply.text}`);
	}

	anyFile() {
		return this.files.size ? pick([...this.files.keys()]) : undefined;
	}

	// ---- the operations: each returns its kind, throws a Failure when a check fails

	async uploadNew() {
		this.kind = "upload new";
		const name = this.newName(), data = randomBytes(randomSize());
		this.unsure.add(name);
		await this.store(name, data);
		this.files.set(name, data);
		await this.verifyContent(name, "upload");
		this.unsure.delete(name);
		return "upload new";
	}

	async uploadReplace() {
		this.kind = "upload replace";
		const name = this.anyFile();
		if (!name)
			return this.uploadNew();
		const data = randomBytes(randomSize());
		this.unsure.add(name);
		await this.store(name, data);
		this.files.set(name, data);
		await this.verifyContent(name, "replacing upload");
		this.unsure.delete(name);
		return "upload replace";
	}

	async download() {
		this.kind = "download";
		const name = this.anyFile();
		if (!name)
			return this.uploadNew();
		await this.verifyContent(name, "download");
		return "download";
	}

	async resume() {
		this.kind = "REST resume";
		const name = [...this.files.keys()].find(n => this.files.get(n).length > 1);
		if (!name)
			return this.uploadNew();
		const expected = this.files.get(name);
		const rest = 1 + Math.floor(Math.random() * (expected.length - 1));
		const bytes = await this.fetch(name, rest);
		if (sha(bytes) !== sha(expected.subarray(rest)))
			throw new Failure(`REST ${rest} + RETR ${name}: ${bytes.length} bytes, not the last ${expected.length - rest} stored`);
		return "REST resume";
	}

	/** ABOR while the client holds the download back: 426 (transfer aborted), then 226. */
	async abortDownload() {
		this.kind = "ABOR mid-download";
		const c = this.c;
		const socket = await openData(c, Math.random() < 0.5);
		let received = 0;
		const enough = 16 * KiB + Math.floor(Math.random() * 512 * KiB);
		let held = false;
		const started = new Promise(resolve => socket.on("data", chunk => {
			received += chunk.length;
			if ((received >= enough) && !held) {
				held = true;
				socket.pause();
				resolve();
			}
		}));
		const isClosed = closed(socket, REPLY_TIMEOUT, "ABOR");
		isClosed.catch(() => {});
		await this.command(`RETR /${ABOR_FILE}`, 150);
		await started;
		c.send("ABOR");
		const first = await c.reply(REPLY_TIMEOUT);
		expectCode(first, 426, `ABOR after ${received} of ${ABOR_SIZE} bytes`);
		expectCode(await c.reply(REPLY_TIMEOUT), 226, "ABOR, after its 426");
		socket.resume();
		await isClosed;
		await this.command("NOOP", 200);
		return "ABOR mid-download";
	}

	/**
	 * ABOR right after a download's last byte, with NOOP behind it, before the transfer's reply
	 * is read: the transfer's 226, then ABOR's 226 (nothing left to abort), or 426 and 226 if
	 * the server still took it for an interrupt; then NOOP's 200. An ABOR that arrives while
	 * the transfer is finishing must still be answered: 226 then 200 is a lost reply.
	 */
	async abortFinished() {
		this.kind = "ABOR after download";
		const name = this.anyFile();
		if (!name)
			return this.uploadNew();
		const c = this.c;
		const expected = this.files.get(name);
		const socket = await openData(c, Math.random() < 0.5);
		// at the last byte (the host may not have seen its transfer end yet) or at the data
		// connection's close
		const atLastByte = (expected.length > 0) && (Math.random() < 0.7);
		let got = 0, sent = false;
		const abort = () => {
			if (!sent) {
				sent = true;
				c.send("ABOR");
				c.send("NOOP");
			}
		};
		if (atLastByte)
			socket.on("data", chunk => { if ((got += chunk.length) >= expected.length) abort(); });
		const received = receive(socket);
		await this.command(`RETR ${name}`, 150);
		const bytes = await received;
		abort();
		const codes = [];
		while (codes.at(-1) !== 200) {
			const reply = await c.reply(REPLY_TIMEOUT).catch(() => {
				throw new Failure(`ABOR after a finished RETR: after ${codes.join(", ") || "nothing"}, no reply in ${REPLY_TIMEOUT / 1000} s`);
			});
			if (reply.closed)
				throw new Failure(`ABOR after a finished RETR: the connection closed after ${codes.join(", ")}`);
			codes.push(reply.code);
			if (codes.length > 3)
				break;
		}
		const sequence = codes.join(",");
		if (!["226,226,200", "426,226,200"].includes(sequence))
			throw new Failure(`ABOR after a finished RETR: replies ${sequence}`);
		if (sha(bytes) !== sha(expected))
			throw new Failure(`ABOR after a finished RETR: ${bytes.length} bytes, not the ${expected.length} stored`);
		return "ABOR after download";
	}

	async rename() {
		this.kind = "rename";
		const from = this.anyFile();
		if (!from)
			return this.uploadNew();
		// now and then over another file, which it replaces
		const others = [...this.files.keys()].filter(n => n !== from);
		const to = (others.length && (Math.random() < 0.3)) ? pick(others) : this.newName();
		this.unsure.add(from);
		this.unsure.add(to);
		await this.command(`RNFR ${from}`, 350);
		await this.command(`RNTO ${to}`, 250);
		this.files.set(to, this.files.get(from));
		this.files.delete(from);
		await this.verifyAbsent(from, "rename");
		const size = await this.command(`SIZE ${to}`, 213);
		if (size.text !== `213 ${this.files.get(to).length}`)
			throw new Failure(`rename: SIZE ${to} gave ${size.text}, expected ${this.files.get(to).length}`);
		this.unsure.delete(from);
		this.unsure.delete(to);
		return "rename";
	}

	async remove() {
		this.kind = "delete";
		const name = this.anyFile();
		if (!name)
			return this.uploadNew();
		this.unsure.add(name);
		await this.command(`DELE ${name}`, 250);
		this.files.delete(name);
		await this.verifyAbsent(name, "DELE");
		this.unsure.delete(name);
		return "delete";
	}

	/** A listing holds exactly the client's files with their sizes, and no temporary name. */
	async list() {
		this.kind = "list";
		const c = this.c;
		const how = pick(["LIST", "MLSD", "NLST", "STAT"]);
		let text;
		if (how === "STAT") {
			const reply = await this.command("STAT .", 213);
			text = reply.text.split("\n").slice(1, -1).map(line => line.replace(/^ /, "")).join("\n");
		}
		else {
			const socket = await openData(c, Math.random() < 0.5);
			const received = receive(socket);
			await this.command(how, 150);
			text = (await received).toString("utf8");
			expectCode(await c.reply(REPLY_TIMEOUT), 226, how);
		}
		const seen = new Map();
		for (const line of text.split(/\r?\n/).filter(Boolean)) {
			if (how === "NLST") {
				seen.set(line, undefined);
				continue;
			}
			if (how === "MLSD") {
				const m = /^([^ ]*) (.*)$/.exec(line);
				const facts = m?.[1] ?? "";
				if (/type=(cdir|pdir);/i.test(facts))
					continue;
				seen.set(m?.[2], Number(/size=(\d+);/.exec(facts)?.[1]));
				continue;
			}
			const m = /^[-d][-rwx]{9} +\d+ +\S+ +\S+ +(\d+) +[A-Z][a-z]{2} +\d+ +[\d:]+ (.*)$/.exec(line);
			if (!m)
				throw new Failure(`${how}: unreadable line ${JSON.stringify(line)}`);
			if ((m[2] === ".") || (m[2] === ".."))
				continue;
			seen.set(m[2], Number(m[1]));
		}
		const temporary = [...seen.keys()].find(name => name.includes(".ftpd-part-"));
		if (temporary)
			throw new Failure(`${how}: lists the temporary ${temporary}`);
		const expected = [...this.files.keys()].sort(), names = [...seen.keys()].sort();
		if (JSON.stringify(expected) !== JSON.stringify(names))
			throw new Failure(`${how}: lists ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`);
		if (how !== "NLST") {
			for (const [name, size] of seen) {
				if (size !== this.files.get(name).length)
					throw new Failure(`${how}: ${name} listed with ${size} bytes, stored ${this.files.get(name).length}`);
			}
		}
		return `list (${how})`;
	}

	/**
	 * The client dies in the middle of an upload (new or replacing): the old file is there
	 * whole afterwards, or no file for a new name. Three ways to die: both connections reset,
	 * control closed first, data closed first (as a killed process's kernel closes them).
	 */
	async dieUploading() {
		this.kind = "disconnect in upload";
		const c = this.c;
		const replacing = (this.files.size > 0) && (Math.random() < 0.6);
		const name = replacing ? this.anyFile() : this.newName();
		const size = 64 * KiB + Math.floor(Math.random() * 1.5 * MiB);
		const sent = Math.floor(size * (0.1 + 0.8 * Math.random()));
		const how = pick(["reset", "control first", "data first"]);
		this.kind = `disconnect in upload (${how})`;
		this.unsure.add(name);
		const socket = await openData(c, Math.random() < 0.5);
		await this.command(`STOR ${name}`, 150);
		await new Promise(resolve => socket.write(randomBytes(sent), resolve));
		if (how === "reset") {
			socket.resetAndDestroy();
			c.socket.resetAndDestroy();
		}
		else if (how === "control first") {
			c.socket.destroy();
			socket.destroy();
		}
		else {
			socket.destroy();
			c.socket.destroy();
		}
		this.c = undefined;
		await this.session(name);
		if (replacing)
			await this.verifyContent(name, `died uploading over it (${how}, ${sent} of ${size} bytes)`);
		else
			await this.verifyAbsent(name, `died uploading it (${how}, ${sent} of ${size} bytes)`);
		this.unsure.delete(name);
		return this.kind;
	}

	/** The client dies in the middle of a download: a new session is served at once. */
	async dieDownloading() {
		this.kind = "disconnect in download";
		const c = this.c;
		const socket = await openData(c, Math.random() < 0.5);
		const started = new Promise(resolve => socket.once("data", resolve));
		await this.command(`RETR /${ABOR_FILE}`, 150);
		await started;
		if (Math.random() < 0.5) {
			socket.resetAndDestroy();
			c.socket.resetAndDestroy();
		}
		else {
			c.socket.destroy();
			socket.destroy();
		}
		this.c = undefined;
		await this.session();
		await this.command("NOOP", 200);
		return "disconnect in download";
	}

	async quitAndReconnect() {
		this.kind = "reconnect";
		await this.command("QUIT", 221);
		this.drop();
		await this.session();
		return "reconnect";
	}

	async step() {
		this.kind = "login";
		await this.session();
		this.commandsInSession++;
		if (this.commandsInSession > 40)
			return this.quitAndReconnect();
		// keep the folder small: delete when over budget
		if ((this.bytes > WORKER_BYTES) || (this.files.size > WORKER_FILES))
			return this.remove();
		const r = Math.random();
		if (r < 0.16) return this.uploadNew();
		if (r < 0.28) return this.uploadReplace();
		if (r < 0.44) return this.download();
		if (r < 0.52) return this.resume();
		if (r < 0.58) return this.abortDownload();
		if (r < 0.64) return this.abortFinished();
		if (r < 0.72) return this.rename();
		if (r < 0.76) return this.remove();
		if (r < 0.88) return this.list();
		if (r < 0.95) return this.dieUploading();
		return this.dieDownloading();
	}

	async run() {
		while (Date.now() < deadline) {
			const before = this.c;
			this.busySince = Date.now();
			try {
				const kind = await this.step();
				count(kind, true, this.index);
			}
			catch (error) {
				count(this.kind, false, this.index, error instanceof Failure ? error.message : String(error?.stack ?? error));
				// the session's state is unknown: start again, forgetting the files in doubt
				this.drop();
				if (before === undefined)
					await sleep(1000);	// could not even log in: do not spin
			}
			this.busySince = undefined;
		}
		if (this.c) {
			await this.c.command("QUIT", 5000).catch(() => undefined);
			this.drop();
		}
	}
}

// ---- samples

function processFigures(pid) {
	const status = readFileSync(`/proc/${pid}/status`, "utf8");
	const kB = name => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * KiB;
	return {rss: kB("VmRSS"), anon: kB("RssAnon"), fds: readdirSync(`/proc/${pid}/fd`).length};
}

/** SITE FREE: live XS heap bytes (slots + chunks), or undefined when the build cannot tell. */
async function xsHeap(c) {
	const reply = await c.command("SITE FREE", REPLY_TIMEOUT);
	if (reply.code === 504)
		return undefined;
	const m = /slots (\d+) bytes, chunks (\d+) bytes/.exec(reply.text);
	if ((reply.code !== 211) || !m)
		throw new Failure(`SITE FREE: ${reply.text}`);
	return Number(m[1]) + Number(m[2]);
}

/** first/last/max, and whether the last quarter's max stays within the first quarter's plus the tolerance. */
function judge(values, tolerance) {
	const quarter = Math.max(1, Math.floor(values.length / 4));
	const firstMax = Math.max(...values.slice(0, quarter)), lastMax = Math.max(...values.slice(-quarter));
	const allowed = tolerance(firstMax);
	return {
		first: values[0], last: values.at(-1), max: Math.max(...values), firstMax, lastMax, allowed,
		flat: lastMax <= firstMax + allowed,
	};
}

const mib = bytes => `${(bytes / MiB).toFixed(2)} MiB`;
const kib = bytes => `${(bytes / KiB).toFixed(1)} KiB`;

// ---- the run

async function seedShared(port) {
	const c = await RawClient.login(port, "anonymous", "soak@");
	try {
		expectCode(await c.command("TYPE I", REPLY_TIMEOUT), 200, "TYPE I");
		const socket = await openData(c, false);
		expectCode(await c.command(`STOR /${ABOR_FILE}`, REPLY_TIMEOUT), 150, "STOR");
		socket.end(randomBytes(ABOR_SIZE));
		expectCode(await c.reply(REPLY_TIMEOUT), 226, `STOR /${ABOR_FILE}`);
	}
	finally {
		c.close();
	}
}

async function main() {
	console.log(`soak: building the ${options.release ? "release" : "instrumented"} Linux host`);
	const binary = options.release ? buildHost({quiet: true}) : buildMeasuredHost("instrument");
	const server = await startServer({
		binary,
		args: ["--verbose", String(verbosity), "--max-sessions", String(workerCount * 2 + 2), "--image-size", String(96 * MiB)],
	});
	const pid = server.proc.pid;
	if (options.log) {
		// the host's log goes to the file, not into memory: at verbosity 2 a long run logs gigabytes
		const log = createWriteStream(options.log);
		log.write(server.stderr);
		server.proc.stderr.removeAllListeners("data");
		server.proc.stderr.on("data", text => log.write(text));
	}
	// never leave the host behind; Ctrl-C (or SIGTERM) ends the run early, with its summary
	process.on("exit", () => server.proc.kill("SIGKILL"));
	let signalled = false;
	for (const signal of ["SIGINT", "SIGTERM"]) {
		process.on(signal, () => {
			if (signalled)
				process.exit(130);
			signalled = true;
			console.log(`soak: ${signal}: ending the run early (again: at once)`);
			deadline = Math.min(deadline, Date.now());
		});
	}
	let died;
	server.exited.then(({code, signal}) => { died ??= `the host exited (${code ?? signal}) during the soak`; });
	console.log(`soak: ${binary} on ${server.url}, ${workerCount} clients for ${minutes} minutes`);
	await seedShared(server.port);

	const sampler = await RawClient.login(server.port, "anonymous", "soak@");
	const heapKnown = (await xsHeap(sampler)) !== undefined;
	if (!heapKnown)
		console.log("soak: this build has no Instrumentation (SITE FREE answers 504): the XS heap is not sampled");
	const every = Math.max(2, Math.min(10, minutes)) * 1000;
	const samples = [];
	const sample = async () => {
		const figures = processFigures(pid);
		figures.heap = heapKnown ? await xsHeap(sampler) : undefined;
		figures.t = (Date.now() - started) / 1000;
		samples.push(figures);
	};

	started = Date.now();
	deadline = signalled ? started : started + minutes * 60000;
	const workers = Array.from({length: workerCount}, (_, i) => new Worker(i, server.port));
	const running = Promise.all(workers.map(w => w.run()));
	let progress = Date.now();
	while (Date.now() < deadline && !died) {
		await sample().catch(error => fail({kind: "sample", reason: error.message}));
		if (Date.now() - progress >= 30000) {
			progress = Date.now();
			const passed = [...stats.values()].reduce((n, s) => n + s.passed, 0);
			const last = samples.at(-1);
			console.log(`soak: ${Math.round((Date.now() - started) / 1000)} s, ${passed} passed, ${failures.length} failed; RssAnon ${mib(last.anon)}, ${last.fds} fds${heapKnown ? `, XS heap ${kib(last.heap)}` : ""}`);
		}
		await sleep(Math.min(every, Math.max(0, deadline - Date.now())));
	}
	// every wait has a timeout but a data connection's close: a client stuck on one is a failure
	const grace = 2 * REPLY_TIMEOUT;
	if (!await Promise.race([running.then(() => true), sleep(grace).then(() => false)])) {
		for (const w of workers.filter(w => w.busySince !== undefined)) {
			fail({kind: w.kind, worker: w.index, reason: `stuck for ${Math.round((Date.now() - w.busySince) / 1000)} s`});
			w.drop();
		}
	}
	// the workers have quit: the last sample is of an idle host
	await sample().catch(() => undefined);
	sampler.close();
	if (died)
		fail({kind: "host", reason: `${died}; its stderr ends with:\n${server.stderr.slice(-2000)}`});

	// the host must exit cleanly on SIGTERM, in a few seconds
	let exit;
	if (!died) {
		server.proc.kill("SIGTERM");
		exit = await Promise.race([server.exited, sleep(5000).then(() => undefined)]);
		if (!exit || exit.code !== 0)
			fail({kind: "host", reason: exit ? `SIGTERM: exit ${exit.code ?? exit.signal}` : "SIGTERM: still running after 5 s"});
	}
	await server.dispose();

	// ---- summary
	console.log(`\n=== soak summary: ${workerCount} clients for ${((deadline - started) / 60000).toFixed(1)} minutes`);
	console.log("operations:");
	for (const [kind, s] of [...stats].sort((a, b) => a[0].localeCompare(b[0])))
		console.log(`  ${kind.padEnd(38)} ${String(s.passed).padStart(7)} passed ${String(s.failed).padStart(5)} failed`);
	const reasons = failures.length ? failures.slice(0, 30) : [];
	if (failures.length) {
		console.log(`failures (${failures.length}${failures.length > reasons.length ? `, the first ${reasons.length}` : ""}):`);
		for (const f of reasons)
			console.log(`  [${f.at} s] ${f.kind}${f.worker !== undefined ? ` (client ${f.worker})` : ""}: ${f.reason}`);
	}
	let flat = true;
	if (samples.length >= 4) {
		console.log(`samples: ${samples.length}, every ${every / 1000} s; flat = the last quarter's max within the first quarter's max + tolerance`);
		const rows = [
			["VmRSS", samples.map(s => s.rss), mib, undefined],
			["RssAnon", samples.map(s => s.anon), mib, max => Math.max(2 * MiB, max / 10)],
			["fds", samples.map(s => s.fds), String, () => 4],
		];
		if (heapKnown)
			rows.push(["XS heap (live)", samples.map(s => s.heap), kib, max => Math.max(16 * KiB, max / 10)]);
		for (const [name, values, show, tolerance] of rows) {
			const j = judge(values, tolerance ?? (() => Infinity));
			const verdict = tolerance ? (j.flat ? "flat" : "GROWS") : "not judged (includes the image's mapping)";
			console.log(`  ${name.padEnd(15)} first ${show(j.first)}, last ${show(j.last)}, max ${show(j.max)}; first-quarter max ${show(j.firstMax)}, last-quarter max ${show(j.lastMax)}${tolerance ? ` (+${show(j.allowed)} allowed)` : ""}: ${verdict}`);
			if (tolerance && !j.flat)
				flat = false;
		}
		if (!heapKnown)
			console.log("  XS heap         not reported: the release host has no Instrumentation (SITE FREE answers 504)");
	}
	else {
		console.log(`samples: only ${samples.length}, too few to judge growth`);
		flat = false;
	}
	const passed = [...stats.values()].reduce((n, s) => n + s.passed, 0);
	console.log(`${passed} passed, ${failures.length} failed`);
	if (!flat)
		console.log("soak: memory, fds or the XS heap grew");
	process.exit((failures.length || !flat) ? 1 : 0);
}

main().catch(error => {
	console.error(error?.stack ?? error);
	process.exit(1);
});
