// Shared by the client suites: one server per suite, external clients run as child processes
// (their whole output kept for the failure message), and an independent look at the server's
// state through basic-ftp, so a client's "success" is never taken on its word.
import {spawn} from "node:child_process";
import {createHash, randomBytes} from "node:crypto";
import {mkdirSync, writeFileSync, readFileSync, readdirSync} from "node:fs";
import {join} from "node:path";
import {Readable, Writable} from "node:stream";
import {Client} from "basic-ftp";
import {startServer} from "../ftp/server.js";

export {startServer};

/** The scenario's folder: a space and non-ASCII letters. */
export const FOLDER = "dossier été";

export const sha = data => createHash("sha256").update(data).digest("hex");

/** `dir/name` filled with `size` random bytes; returns the bytes. */
export function makeFile(dir, name, size) {
	const data = randomBytes(size);
	mkdirSync(dir, {recursive: true});
	writeFileSync(join(dir, name), data);
	return data;
}

export function shaOfFile(path) {
	return sha(readFileSync(path));
}

/** Percent-encodes each path component for an ftp:// URL. */
export function urlPath(...components) {
	return components.map(c => encodeURIComponent(c)).join("/");
}

/**
 * Runs a program; never rejects on a non-zero exit. Resolves {code, signal, stdout, stderr,
 * ms, text} where `text` is everything for a failure message.
 */
export function run(command, args, {input, env, cwd, timeout = 60000} = {}) {
	const started = Date.now();
	return new Promise(resolve => {
		const child = spawn(command, args, {cwd, env: env ? {...process.env, ...env} : process.env, stdio: ["pipe", "pipe", "pipe"]});
		const out = [], err = [];
		child.stdout.on("data", chunk => out.push(chunk));
		child.stderr.on("data", chunk => err.push(chunk));
		const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
		child.on("error", error => err.push(Buffer.from(String(error))));
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			const stdout = Buffer.concat(out).toString("utf8"), stderr = Buffer.concat(err).toString("utf8");
			resolve({
				code, signal, stdout, stderr, ms: Date.now() - started,
				text: `$ ${command} ${args.map(a => JSON.stringify(a)).join(" ")}\nexit ${code ?? signal}` +
					`${(signal === "SIGKILL") ? ` (killed after ${timeout} ms)` : ""}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
			});
		});
		child.stdin.on("error", () => {});
		child.stdin.end(input ?? "");
	});
}

/** Runs a program and throws, with its whole output, unless it exits 0. */
export async function must(command, args, options) {
	const result = await run(command, args, options);
	if (result.code !== 0)
		throw new Error(`command failed\n${result.text}`);
	return result;
}

/** A basic-ftp session to the server (anonymous unless told otherwise). */
export async function connect(server, user = "anonymous", password = "test@") {
	const client = new Client(20000);
	await client.access({host: server.host, port: server.port, user, password});
	return client;
}

export async function upload(client, data, name) {
	await client.uploadFrom(Readable.from([data]), name);
}

export async function download(client, name) {
	const chunks = [];
	await client.downloadTo(new Writable({write(chunk, _, done) { chunks.push(chunk); done(); }}), name);
	return Buffer.concat(chunks);
}

/** What the server holds in `path`: name → {size, directory}, seen by an independent client. */
export async function remote(server, path = "/") {
	const client = await connect(server);
	try {
		const entries = await client.list(path);
		return Object.fromEntries(entries.map(e => [e.name, {size: e.size, directory: e.isDirectory}]));
	}
	finally {
		client.close();
	}
}

/** Reads a remote file with an independent client. */
export async function fetchRemote(server, path) {
	const client = await connect(server);
	try {
		return await download(client, path);
	}
	finally {
		client.close();
	}
}

/** Puts `data` at `path` (its folder is created) with an independent client. */
export async function seed(server, path, data) {
	const client = await connect(server);
	try {
		const slash = path.lastIndexOf("/");
		if (slash > 0)
			await client.ensureDir(path.slice(0, slash));
		await upload(client, data, "/" + path.replace(/^\//, ""));
	}
	finally {
		client.close();
	}
}

/** Names in a local folder. */
export function localNames(dir) {
	return readdirSync(dir).sort();
}

/**
 * Mocha hooks for a suite with its own server: `ctx.server` is set before the tests; on a
 * failure the end of the server's log (every command and reply) is printed.
 */
export function serverPerSuite(ctx, args = []) {
	before(async function () {
		this.timeout(30000);
		ctx.server = await startServer({args});
	});
	afterEach(function () {
		if ((this.currentTest?.state === "failed") && ctx.server) {
			const lines = ctx.server.stderr.split("\n");
			console.log(`    --- last lines of the server log (${ctx.server.url}):\n` + lines.slice(-60).map(l => "    | " + l).join("\n"));
		}
	});
	after(async () => {
		await ctx.server?.dispose();
	});
}

/**
 * The same with a server of its own for each test (a fresh image): a test that fails, leaving
 * files, folders or a stuck session behind, cannot make the next one fail.
 */
export function serverPerTest(ctx, args = []) {
	beforeEach(async function () {
		this.timeout(30000);
		ctx.server = await startServer({args});
	});
	afterEach(async function () {
		if ((this.currentTest?.state === "failed") && ctx.server) {
			const lines = ctx.server.stderr.split("\n");
			console.log(`    --- last lines of the server log (${ctx.server.url}):\n` + lines.slice(-60).map(l => "    | " + l).join("\n"));
		}
		await ctx.server?.dispose();
		ctx.server = undefined;
	});
}

/** The server's resident memory in KiB (Linux /proc). */
export function residentKiB(server) {
	const status = readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
	return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
}

export function sleep(ms) {
	return new Promise(resolve => setTimeout(resolve, ms));
}

/** Sessions open now, from the server log's "connected"/"disconnected" lines. */
export function openSessions(server) {
	const connected = server.stderr.match(/ connected$/gm)?.length ?? 0;
	const disconnected = server.stderr.match(/ disconnected$/gm)?.length ?? 0;
	return connected - disconnected;
}

/** Waits until every earlier session has ended on the server side (a closed client socket is seen a moment later). */
export async function waitForNoSessions(server, timeout = 10000) {
	const until = Date.now() + timeout;
	while (openSessions(server) > 0) {
		if (Date.now() > until)
			throw new Error(`${openSessions(server)} sessions still open after ${timeout} ms`);
		await sleep(20);
	}
}

/** Most sessions open at once in a stretch of the server log. */
export function maxSessions(log) {
	let open = 0, most = 0;
	for (const line of log.split("\n")) {
		if (/ connected$/.test(line))
			most = Math.max(most, ++open);
		else if (/ disconnected$/.test(line))
			open--;
	}
	return most;
}
