// npm run memory [-- variant...]: the XS heap the server uses, measured on instrumented builds of
// the Linux host (mcconfig -i): the Linux host as its manifests build it now
// (hosts/lin/budget/linux.json), the same with every module preloaded (linux-preloaded.json), the
// ESP32's memory settings (esp32.json) and the ESP8266's fixed memory (manifest.json), both
// preloaded too. Prints a table: idle, per session, per transfer.
//
// How: an FTP session on the account asks SITE FREE, which collects the garbage and then reads
// the Instrumentation module, so every figure is live data. At most two sessions are open at
// once, as the ESP8266's configuration allows (the measuring one and one more):
//   idle          = heap with one session - one session's cost
//   per session   = heap with two sessions - heap with one
//   per transfer  = heap while the second session's transfer is held in progress (its client
//                   stops reading a download, or stops sending an upload) - heap before it
// The measuring session first uploads, downloads and lists, so one-time allocations are counted
// in "idle", not in the session or transfer measured. A build that runs out of memory is
// reported with the step it died at.
import {randomBytes} from "node:crypto";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {projectRoot} from "./sdk.js";
import {RawClient, readAll} from "../tests/ftp/raw.js";
import {buildBudgetHost, buildEsp32Host, buildMeasuredHost, buildPreloadedHost, startHost} from "../hosts/lin/budget/variants.js";

const USER = "admin", PASSWORD = "secret";
const MiB = 1024 * 1024;
/** bytes of a txSlot: four pointer-sized fields, so 32 on a 64-bit host, 16 on the ESP8266 and ESP32 */
const SLOT = ["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64"].includes(process.arch) ? 32 : 16;
const DEVICE_SLOT = 16;

const delay = ms => new Promise(resolve => setTimeout(resolve, ms));

async function expectReply(client, line, code) {
	const reply = line ? await client.command(line, 30000) : await client.reply(30000);
	if (reply.code !== code)
		throw new Error(`${line ?? "reply"}: expected ${code}, got ${reply.closed ? "the connection closed" : reply.text}`);
	return reply;
}

/** SITE FREE's figures, in bytes. */
async function heap(client) {
	const reply = await expectReply(client, "SITE FREE", 211);
	const m = /slots (\d+) bytes, chunks (\d+) bytes, stack peak (\d+) bytes, (\d+) modules loaded at run time.*\(after garbage collection\)/.exec(reply.text);
	if (!m)
		throw new Error(`SITE FREE: ${reply.text}`);
	return {slots: Number(m[1]), chunks: Number(m[2]), stack: Number(m[3]), modules: Number(m[4])};
}

const minus = (a, b) => ({slots: a.slots - b.slots, chunks: a.chunks - b.chunks});

async function upload(client, name, data) {
	const socket = await client.passive();
	await expectReply(client, `STOR ${name}`, 150);
	socket.end(data);
	await expectReply(client, undefined, 226);
}

async function download(client, name) {
	const socket = await client.passive();
	await expectReply(client, `RETR ${name}`, 150);
	const data = await readAll(socket);
	await expectReply(client, undefined, 226);
	return data;
}

/** Runs the scenario on one executable: the figures in bytes, or `failed` with the step and the host's last words. */
async function measure(binary) {
	const host = await startHost(binary, {args: ["--user", USER, "--password", PASSWORD, "--max-sessions", "2", "--image-size", String(16 * MiB)]});
	const clients = [];
	const login = async () => {
		const client = await RawClient.login(host.port, USER, PASSWORD);
		clients.push(client);
		await expectReply(client, "TYPE I", 200);
		return client;
	};
	let step = "first login";
	try {
		const admin = await login();
		step = "warm-up transfers";
		const big = randomBytes(8 * MiB);
		await upload(admin, "big.bin", big);
		if (!(await download(admin, "big.bin")).equals(big))
			throw new Error("warm-up download differs");
		const list = await admin.passive();
		await expectReply(admin, "LIST", 150);
		await readAll(list);
		await expectReply(admin, undefined, 226);
		const one = await heap(admin);

		step = "second login";
		const second = await login();
		const two = await heap(admin);

		step = "download";
		// a download the client does not read: the server waits with the file open
		const downloadSocket = await second.passive();
		downloadSocket.pause();
		await expectReply(second, "RETR big.bin", 150);
		await delay(300);
		const downloading = await heap(admin);
		const who = await expectReply(admin, "SITE WHO", 211);
		if (!/transfer=RETR /.test(who.text))
			throw new Error(`SITE WHO shows no download: ${who.text}`);
		downloadSocket.resume();
		if (!(await readAll(downloadSocket)).equals(big))
			throw new Error("download differs");
		await expectReply(second, undefined, 226);

		step = "upload";
		// an upload the client has started and not finished
		const uploadSocket = await second.passive();
		await expectReply(second, "STOR part.bin", 150);
		uploadSocket.write(big.subarray(0, 64 * 1024));
		await delay(300);
		const uploading = await heap(admin);
		uploadSocket.end();
		await expectReply(second, undefined, 226);
		const after = await heap(admin);

		const perSession = minus(two, one);
		return {
			idle: minus(one, perSession),
			perSession,
			download: minus(downloading, two),
			upload: minus(uploading, two),
			twoSessions: two,
			stack: Math.max(one.stack, two.stack, downloading.stack, uploading.stack, after.stack),
			modules: after.modules,
		};
	}
	catch (error) {
		// a host that ran out of memory has said so on stderr and exited: that is the result
		await Promise.race([host.exited, delay(1000)]);
		const fatal = /ftpd: fatal: .*/.exec(host.stderr);
		if (!fatal)
			throw error;
		return {failed: `${fatal[0].replace("ftpd: fatal: ", "")} at the ${step}`};
	}
	finally {
		clients.forEach(c => c.close());
		await host.dispose();
	}
}

/** The creation block a manifest sets. */
function creation(path) {
	return JSON.parse(readFileSync(path, "utf8")).creation;
}

const slots = bytes => Math.round(bytes / SLOT);
const cell = f => `${slots(f.slots)} slots (${f.slots} B) + ${f.chunks} B chunks`;
/** The same live data on a device: the slot count at 16 bytes a slot, chunks as measured. */
const deviceBytes = f => slots(f.slots) * DEVICE_SLOT + f.chunks;

function capacity(c) {
	const text = `${c.heap.initial} slots + ${c.chunk.initial} B chunks`;
	if (c.heap.incremental || c.chunk.incremental)
		return `${text}, growing`;
	return `${text}, fixed (${c.heap.initial * DEVICE_SLOT + c.chunk.initial} B at 16 B a slot)`;
}

async function main() {
	const budgetManifest = join(projectRoot, "hosts", "lin", "budget", "manifest.json");
	const linux = creation(join(projectRoot, "hosts", "lin", "manifest.json"));
	const budget = creation(budgetManifest);
	console.log(`Building the instrumented Linux hosts (a slot is ${SLOT} bytes here, ${DEVICE_SLOT} on the ESP8266)...`);
	// `npm run memory -- preloaded budget` measures only those variants
	const variants = [
		{key: "linux", name: "Linux, as built now", build: () => buildMeasuredHost("instrument"), creation: linux},
		{key: "preloaded", name: "Linux, all preloaded", build: () => buildPreloadedHost("instrument"), creation: linux},
		{key: "esp32", name: "ESP32 settings", build: () => buildEsp32Host("instrument"), creation: creation(join(projectRoot, "hosts", "lin", "budget", "esp32.json"))},
		{key: "budget", name: "ESP8266 budget", build: () => buildBudgetHost("instrument"), creation: budget},
	];
	const wanted = process.argv.slice(2);
	const unknown = wanted.filter(key => !variants.some(v => v.key === key));
	if (unknown.length)
		throw new Error(`unknown variant ${unknown.join(", ")}: choose from ${variants.map(v => v.key).join(", ")}`);
	const builds = variants.filter(v => !wanted.length || wanted.includes(v.key))
		.map(v => ({name: v.name, binary: v.build(), creation: v.creation}));
	for (const build of builds) {
		console.log(`Measuring ${build.name}: ${build.binary}`);
		build.figures = await measure(build.binary);
	}
	const row = (title, show) => [title, ...builds.map(b => b.figures.failed ? (title ? "-" : "") : show(b.figures))];
	const rows = [
		["XS heap: live data after GC", ...builds.map(b => b.name)],
		row("idle (no session)", f => cell(f.idle)),
		row("per session (logged in, idle)", f => cell(f.perSession)),
		row("per transfer: download (RETR)", f => cell(f.download)),
		row("per transfer: upload (STOR)", f => cell(f.upload)),
		row("2 sessions, idle", f => cell(f.twoSessions)),
		row("  the same at 16 B a slot", f => `${deviceBytes(f.twoSessions)} B`),
		row("2 sessions + upload at 16 B a slot", f => `${deviceBytes(f.twoSessions) + slots(f.upload.slots) * DEVICE_SLOT + f.upload.chunks} B`),
		row("XS stack, deepest", f => `${f.stack} B (${slots(f.stack)} slots)`),
		row("modules loaded at run time", f => String(f.modules)),
		["ran out of memory", ...builds.map(b => b.figures.failed ?? "no")],
		["heap the build has", ...builds.map(b => capacity(b.creation))],
	];
	const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
	console.log("");
	for (const [index, cells] of rows.entries()) {
		console.log(cells.map((text, i) => text.padEnd(widths[i])).join("  ").trimEnd());
		if (!index)
			console.log(widths.map(w => "-".repeat(w)).join("  "));
	}
	const share = budget.static - budget.stack * DEVICE_SLOT;
	console.log(`\nOn the ESP8266, XS takes one static block of ${budget.static} B for its stack (${budget.stack} slots), slots and chunks: ${share} B for slots and chunks together.`);
}

main().catch(error => {
	console.error(error);
	process.exit(1);
});
