// npm run bench: the data path's benchmarks, on loopback, in one run. Our Linux host (on a
// LittleFS image and on a folder) against pyftpdlib and vsftpd serving the same files, with
// the client's own ceiling; then callgrind's instructions per byte and the XS heap around
// 16 MiB transfers. Prints a Markdown report and writes it to bench/results.md.
//
//   npm run bench [-- [--runs N] [--skip throughput,callgrind,heap] [--binary PATH]]
//
// --binary measures another build of the host instead of building the release one (to compare
// a change before and after: build the changed tree elsewhere, point --binary at it).
//
// Needs Debian's python3-pyftpdlib and vsftpd, and valgrind for the instruction counts.
// Figures are for reading, never for asserting: tests do not time anything.
import {spawn} from "node:child_process";
import {mkdtempSync, rmSync, writeFileSync, readFileSync, chmodSync, mkdirSync, existsSync} from "node:fs";
import {tmpdir, cpus, release, availableParallelism, loadavg} from "node:os";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {performance} from "node:perf_hooks";
import {projectRoot} from "./sdk.js";
import {buildRelease, buildHeapLive, buildHeapAlloc} from "../bench/build.js";
import {BenchClient} from "../bench/client.js";
import {makeData, copyData, uploadData, SMALL_COUNT} from "../bench/data.js";
import {settleTimeWait} from "../bench/timewait.js";
import {startOurs, startPyftpdlib, startVsftpd, vsftpdUser, referencesInstalled, debianVersion} from "../bench/servers.js";
import {WORKLOADS, BIG_REPEAT, BIG_RUNS, LIST_REPEAT, measureAll, format, median} from "../bench/throughput.js";
import {measureInstructions, valgrindAvailable, CG_BIG, CG_COMMANDS, CG_LISTINGS, CG_LIST_ENTRIES, CG_TARGETS} from "../bench/callgrind.js";
import {measureHeap} from "../bench/heap.js";

const {values: options} = parseArgs({options: {
	runs: {type: "string", default: "5"},
	skip: {type: "string", default: ""},
	binary: {type: "string"},
}});
const runs = Number(options.runs);
const skip = new Set(options.skip.split(",").filter(Boolean));
const began = performance.now();
const log = text => process.stderr.write(`bench: ${text}\n`);

const missing = referencesInstalled();
if (missing.length) {
	console.error(`bench: the reference servers are missing: apt-get install -y ${missing.join(" ")}`);
	process.exit(1);
}

// The machine's figures, first, so that a report says where it was made.
const cpuModel = (/^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8")) ?? [])[1] ?? cpus()[0]?.model ?? "?";
const machine = {
	date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
	nproc: availableParallelism(),
	cpu: cpuModel.trim(),
	kernel: release(),
	node: process.version,
	pyftpdlib: debianVersion("python3-pyftpdlib"),
	vsftpd: debianVersion("vsftpd"),
	load: loadavg()[0].toFixed(2),
};

let binary = options.binary;
if (!binary) {
	log("building the release host");
	binary = buildRelease();
}

machine.timeWait = await settleTimeWait({log});

const work = mkdtempSync(join(tmpdir(), "ftpd-bench-"));
// vsftpd runs as another user when we are root: it must reach its copy of the files
chmodSync(work, 0o755);
const stops = [];
try {
	// ---- throughput
	let throughput;
	if (skip.has("throughput"))
		log("throughput skipped");
	else
		throughput = await measureThroughput();

	// ---- callgrind
	let instructions;
	if (skip.has("callgrind"))
		log("callgrind skipped");
	else if (!valgrindAvailable())
		log("valgrind is not installed: no instruction counts (apt-get install -y valgrind)");
	else {
		log("counting instructions with callgrind (14 runs under valgrind)");
		instructions = await measureInstructions(binary, join(work, "callgrind"), {log});
	}

	// ---- heap
	let heap;
	if (skip.has("heap"))
		log("heap skipped");
	else {
		log("building the instrumented hosts");
		const binaries = {live: buildHeapLive(), alloc: buildHeapAlloc()};
		heap = await measureHeap(binaries, join(work, "heap"), {log});
	}

	const seconds = Math.round((performance.now() - began) / 1000);
	const report = render({machine, runs, throughput, instructions, heap, seconds});
	process.stdout.write(report);
	// only a complete run of the product's build stands for the project's figures
	if (!skip.size && !options.binary) {
		writeFileSync(join(projectRoot, "bench", "results.md"), report);
		log(`written to bench/results.md (${seconds} s)`);
	}
	else
		log(`partial run (${seconds} s): bench/results.md left as it was`);
}
finally {
	while (stops.length)
		await stops.pop()().catch(() => {});
	rmSync(work, {recursive: true, force: true});
}

/** Starts the five servers, measures every workload on each, stops them. */
async function measureThroughput() {
	log("making the data set");
	const source = join(work, "source");
	mkdirSync(source);
	const data = makeData(source);

	const targets = [];
	{
		const image = {image: join(work, "ours.lfs"), size: 64 * 1024 * 1024};
		const server = await startOurs(binary, image);
		stops.push(server.stop);
		const client = await BenchClient.login(server.port);
		log("filling the LittleFS image through FTP");
		await uploadData(client, data, source);
		targets.push({key: "image", client, pid: server.proc.pid});
	}
	{
		copyData(source, join(work, "ours-root"));
		const server = await startOurs(binary, {root: join(work, "ours-root")});
		stops.push(server.stop);
		targets.push({key: "root", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	{
		copyData(source, join(work, "pyftpdlib"));
		const server = await startPyftpdlib(join(work, "pyftpdlib"));
		stops.push(server.stop);
		machine.pyftpdlibSendfile = server.sendfile;
		targets.push({key: "pyftpdlib", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	{
		const user = vsftpdUser();
		copyData(source, join(work, "vsftpd"), user.uid !== undefined ? user : undefined);
		const server = await startVsftpd(join(work, "vsftpd"), join(work, "vsftpd-config"));
		stops.push(server.stop);
		machine.vsftpdUser = server.user;
		targets.push({key: "vsftpd", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	{
		const server = await startNull();
		stops.push(server.stop);
		targets.push({key: "ceiling", client: await BenchClient.login(server.port), pid: server.pid});
	}
	log(`measuring: ${WORKLOADS.length} workloads × ${targets.length} servers × (1 warm-up + ${runs} runs, ${Math.max(runs, BIG_RUNS)} at 16 MiB)`);
	const throughput = await measureAll(targets, data, {runs, log});
	for (const target of targets)
		await target.client.quit();
	while (stops.length)
		await stops.pop()();
	return throughput;

}

/** The null server (bench/nullftpd.js), in its own process. */
function startNull() {
	const proc = spawn(process.execPath, [join(projectRoot, "bench", "nullftpd.js")], {stdio: ["ignore", "pipe", "inherit"]});
	const exited = new Promise(resolve => proc.on("exit", resolve));
	return new Promise((resolve, reject) => {
		proc.stdout.setEncoding("utf8");
		proc.stdout.on("data", text => {
			const m = /listening on port (\d+)/.exec(text);
			if (m)
				resolve({port: Number(m[1]), pid: proc.pid, stop: async () => { proc.kill("SIGKILL"); await exited; }});
		});
		proc.on("exit", code => reject(new Error(`nullftpd exited (${code})`)));
	});
}

function ratio(ours, theirs) {
	if (!Number.isFinite(ours) || !Number.isFinite(theirs) || !theirs)
		return "–";
	return `${(ours / theirs).toFixed(2)}×`;
}

// The median of the rounds' ratios: each round runs every server once, back to back, so a
// slow spell of the machine (its 16 MiB runs are bimodal, about 2,000 or 5,500 MB/s for any
// server) meets a round's runs alike, where the ratio of two medians depends on how many slow
// runs each server happened to get.
function pairedRatio(ours, theirs) {
	if (!ours?.length || (ours.length !== theirs?.length))
		return "–";
	return ratio(median(ours.map((rate, i) => rate / theirs[i])), 1);
}

// a function declaration: the top-level code above calls render() before a const here exists
function grouped(n) {
	return Math.round(n).toLocaleString("en-US");
}

function render({machine, runs, throughput, instructions, heap, seconds}) {
	const lines = [];
	const add = (...more) => lines.push(...more);
	add("# Benchmarks", "",
		`${machine.date} · ${machine.nproc} CPUs · ${machine.cpu} · Linux ${machine.kernel} · Node ${machine.node} · ` +
		`load average ${machine.load} at the start · ${machine.timeWait} loopback connections in TIME_WAIT when the measurements began (bench/timewait.js)`, "",
		`Loopback, one client (raw sockets, passive mode, binary), one session per server; median of ${runs} runs (${Math.max(runs, BIG_RUNS)} for the 16 MiB workloads) ` +
		`after one warm-up run, interleaved across the servers; a run is ${BIG_REPEAT} transfers of 16 MiB, ` +
		`${SMALL_COUNT} of 4 KiB or ${LIST_REPEAT} listings. ` + "\"ours\" is the release Linux host, `--verbose 0`: on a 64 MiB LittleFS image " +
		"(`--image`, the product's storage) and on a folder (`--root`, sendfile for downloads). " +
		`References: pyftpdlib ${machine.pyftpdlib} (Debian, sendfile ${machine.pyftpdlibSendfile === "True" ? "on" : "off"}, ` +
		`log at WARNING), vsftpd ${machine.vsftpd} (Debian, unprivileged: run_as_launching_user=YES as ${machine.vsftpdUser}). ` +
		"The client ceiling is measured against a server that does no work (bench/nullftpd.js, in Node): for the " +
		"per-file workloads it is about the most this client can do; for 16 MiB that Node server's own copying is the " +
		"limit, and the client's CPU share of each run (in \"every run\": near 100% means the client was the limit) is " +
		"the better guide. " +
		"Ratios are ours ÷ theirs (above 1: ours is faster), the median over the rounds of the two servers' rates in that " +
		"round (a round runs every server once, back to back). MB = 10⁶ bytes. `npm run bench` regenerates this file.", "");
	if (throughput) {
		add("| workload | unit | ours, image | ours, folder | pyftpdlib | vsftpd | client ceiling | image ÷ pyftpdlib | image ÷ vsftpd | folder ÷ pyftpdlib | folder ÷ vsftpd |",
			"|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
		for (const w of WORKLOADS) {
			const r = throughput[w.id];
			const m = key => r[key]?.median;
			const p = (ours, theirs) => pairedRatio(r[ours]?.runs, r[theirs]?.runs);
			add(`| ${w.label} | ${w.unit} | ${format(m("image"))} | ${format(m("root"))} | ${format(m("pyftpdlib"))} | ${format(m("vsftpd"))} | ${format(m("ceiling"))} | ` +
				`${p("image", "pyftpdlib")} | ${p("image", "vsftpd")} | ${p("root", "pyftpdlib")} | ${p("root", "vsftpd")} |`);
		}
		add("", "The ratios of the medians above, for comparison (the report's ratios until 2026-12-07): " +
			WORKLOADS.map(w => {
				const m = key => throughput[w.id][key]?.median;
				return `${w.label} ${ratio(m("image"), m("pyftpdlib"))} / ${ratio(m("root"), m("pyftpdlib"))}`;
			}).join(", ") + " (image / folder ÷ pyftpdlib).");
		add("", "Server CPU time per operation (median over the runs; the scheduler's own accounting of the server process, " +
			"its threads and children): what each server spends, less disturbed than the rates above by whatever else the " +
			"machine runs.", "",
			"| workload | per | ours, image | ours, folder | pyftpdlib | vsftpd | no-op server |", "|---|---|--:|--:|--:|--:|--:|");
		for (const w of WORKLOADS) {
			const r = throughput[w.id];
			const cpu = key => {
				const seconds = r[key]?.serverCpuMedian / w.ops;
				return seconds >= 0.001 ? `${format(seconds * 1e3)} ms` : `${format(seconds * 1e6)} µs`;
			};
			add(`| ${w.label} | ${w.op} | ${cpu("image")} | ${cpu("root")} | ${cpu("pyftpdlib")} | ${cpu("vsftpd")} | ${cpu("ceiling")} |`);
		}
		add("", "<details><summary>every run</summary>", "",
			"| workload | server | runs | client CPU (median) |", "|---|---|---|--:|");
		for (const w of WORKLOADS) {
			for (const [key, entry] of Object.entries(throughput[w.id]))
				add(`| ${w.label} | ${key} | ${entry.runs.map(format).join(", ")} ${w.unit} | ${Math.round(entry.clientCpuMedian * 100)}% |`);
		}
		add("", "</details>", "");
	}

	if (instructions) {
		add("## Instructions per byte (callgrind)", "",
			`Instructions of the server process (release build, valgrind --tool=callgrind), whole process from start to exit, ` +
			`minus an idle run with the same start-up, login, QUIT and exit. "per byte" is a ${CG_BIG / 1048576} MiB transfer's ` +
			"extra instructions ÷ its bytes; \"one command\" is the extra instructions of a 4 KiB transfer (PASV, the command, " +
			"replies, open and close); \"marginal\" is (4 MiB run − 4 KiB run) ÷ the bytes between them: what each further " +
			"byte costs. sendfile(2) and the kernel's copies are not counted (callgrind sees user space only).", "",
			"| storage | transfer | per byte | one command | marginal per byte |", "|---|---|--:|--:|--:|");
		for (const [storage, label] of [["image", "LittleFS image"], ["root", "folder"]]) {
			const s = instructions[storage];
			for (const [dir, verb] of [["retr", "RETR"], ["stor", "STOR"]])
				add(`| ${label} | ${verb} 4 MiB | ${s[dir].perByte.toFixed(2)} | ${grouped(s[dir].fixed)} | ${s[dir].marginal.toFixed(2)} |`);
		}
		const mark = (value, target) => `${value <= target ? "✓" : "✗"} (target ≤ ${target < 10 ? target : grouped(target)})`;
		add("", `Per command and per listing (issue 14's figures): one session doing ${CG_COMMANDS} × (PASV + RETR of the 4 KiB file), ` +
			`and one doing ${CG_LISTINGS} × (PASV + LIST of a folder of ${CG_LIST_ENTRIES} files), minus the idle run, divided by the count; ` +
			`per NOOP, ${CG_COMMANDS} × NOOP: the bare round trip of a command line and its reply, which each PASV and RETR pays. ` +
			"The targets are the image's.", "",
			"| storage | per NOOP | per 4 KiB RETR | per LIST of 500 entries | per entry | RETR per byte | STOR per byte |", "|---|--:|--:|--:|--:|--:|--:|");
		for (const [storage, label] of [["image", "LittleFS image"], ["root", "folder"]]) {
			const s = instructions[storage];
			const image = storage === "image";
			add(`| ${label} | ${grouped(s.perNoop)} | ${grouped(s.perCommand)}${image ? " " + mark(s.perCommand, CG_TARGETS.command) : ""} | ` +
				`${grouped(s.perListing)}${image ? " " + mark(s.perListing, CG_TARGETS.listing) : ""} | ${grouped(s.perListing / CG_LIST_ENTRIES)} | ` +
				`${s.retr.perByte.toFixed(2)}${image ? " " + mark(s.retr.perByte, CG_TARGETS.retrPerByte) : ""} | ` +
				`${s.stor.perByte.toFixed(2)}${image ? " " + mark(s.stor.perByte, CG_TARGETS.storPerByte) : ""} |`);
		}
		add("", "Where they go: the functions whose own instructions grew most over the idle run (callgrind_annotate, self cost).", "");
		for (const [storage, label] of [["image", "LittleFS image"], ["root", "folder"]]) {
			for (const [dir, verb] of [["retr", "RETR"], ["stor", "STOR"]]) {
				add(`<details><summary>${label}, ${verb} 4 MiB</summary>`, "", "| instructions | per byte | function |", "|--:|--:|---|");
				for (const row of instructions[storage].top[dir])
					add(`| ${grouped(row.count)} | ${(row.count / CG_BIG).toFixed(2)} | \`${row.name.replace(/\|/g, "\\|")}\` |`);
				add("", "</details>", "");
			}
		}
		for (const [part, title] of [["command", "one PASV + RETR 4 KiB"], ["listing", "one LIST of 500 entries"]]) {
			add(`<details><summary>LittleFS image, ${title}</summary>`, "", "| instructions | function |", "|--:|---|");
			for (const row of instructions.image.top[part])
				add(`| ${grouped(row.count)} | \`${row.name.replace(/\|/g, "\\|")}\` |`);
			add("", "</details>", "");
		}
	}

	if (heap) {
		add("## XS heap around 16 MiB transfers", "",
			"Instrumented builds (bench/heap/), read with SITE FREE (slots + chunks, bytes; a slot is 32 bytes on this " +
			"64-bit host, 16 on the ESP chips). \"live\": collected before each reading, so the difference is what the " +
			"transfers left allocated. \"allocated\": a build that never collects during the measurement, so the " +
			"difference is everything the command allocated, garbage included (less what SITE FREE itself allocates); " +
			"the 16 MiB and 4 KiB transfers differ in nothing but the file's size.", "",
			"| storage | live before | after RETR 16 MiB | after STOR 16 MiB | after 10 more RETR 16 MiB |",
			"|---|--:|--:|--:|--:|");
		const t = f => grouped(f.slots + f.chunks);
		const delta = n => (n >= 0 ? "+" : "") + grouped(n);
		for (const [storage, label] of [["image", "LittleFS image"], ["root", "folder"]]) {
			const l = heap.live[storage];
			add(`| ${label} | ${t(l.before)} | ${t(l.afterRetr)} (${delta(l.retrGrowth)}) | ${t(l.afterStor)} (${delta(l.storGrowth)}) | ` +
				`${t(l.afterTen)} (${delta(l.tenGrowth)}) |`);
		}
		add("", "| storage | allocated by one… | RETR 4 KiB | RETR 16 MiB | STOR 4 KiB | STOR 16 MiB | SITE FREE |",
			"|---|---|--:|--:|--:|--:|--:|");
		for (const [storage, label] of [["image", "LittleFS image"], ["root", "folder"]]) {
			const a = heap.alloc[storage];
			for (const part of ["slots", "chunks", "total"])
				add(`| ${label} | ${part} | ${grouped(a.retrSmall[part])} | ${grouped(a.retrBig[part])} | ${grouped(a.storSmall[part])} | ${grouped(a.storBig[part])} | ${grouped(a.reading[part])} |`);
		}
		add("");
	}
	// the profile written by hand (bench/profile.md): where a command's and a listing's instructions go
	const profile = join(projectRoot, "bench", "profile.md");
	if (existsSync(profile))
		add(readFileSync(profile, "utf8"));
	add(`Whole run: ${seconds} s.`, "");
	return lines.join("\n");
}
