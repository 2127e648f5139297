// node bench/grace.js [--runs N] [--binary PATH]: what the check before an upload's commit
// costs (tcppeer, hosts/lin/sockets/tcp_peer.c). The STOR workloads of `npm run bench`, on our
// host with the check as it is ("default": the client's process asked: asleep, the answer at
// once; else the grace), with
// the grace alone ("no process": FTPD_PEER_PROCESS=0; "no early": the process asked, but a
// sleeping client waits the grace, FTPD_PEER_PROCESS=grace) and with the grace set by
// FTPD_CLOSE_GRACE_US (0: none; the check at the socket layer stays), all in one run,
// interleaved. Prints a Markdown table: the rate (median of the runs) and the server's CPU per
// file. --baseline PATH adds another build of the host (e.g. main's, before the change) to the
// same run; --pyftpdlib adds pyftpdlib (the reference of `npm run bench`, on a folder).
// --graces picks the variants, e.g. "none,default,no process".
import {mkdirSync, mkdtempSync, rmSync} from "node:fs";
import {tmpdir, loadavg} from "node:os";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {buildRelease} from "./build.js";
import {BenchClient} from "./client.js";
import {makeData, UPLOAD_DIR} from "./data.js";
import {settleTimeWait} from "./timewait.js";
import {startOurs, startPyftpdlib} from "./servers.js";
import {WORKLOADS, measureAll, format} from "./throughput.js";

const {values: options} = parseArgs({options: {
	runs: {type: "string", default: "7"},
	binary: {type: "string"},
	baseline: {type: "string"},
	pyftpdlib: {type: "boolean", default: false},
	graces: {type: "string", default: "none,default,no process"},
}});
const log = text => process.stderr.write(`grace: ${text}\n`);
const binary = options.binary ?? buildRelease();
await settleTimeWait({log});

// the environment of each variant: FTPD_CLOSE_GRACE_US (unset: the host's own grace) and FTPD_PEER_PROCESS
const GRACES = [["none", {FTPD_CLOSE_GRACE_US: "0"}], ["default", {}], ["no process", {FTPD_PEER_PROCESS: "0"}],
	["no early", {FTPD_PEER_PROCESS: "grace"}],
	["50 µs", {FTPD_CLOSE_GRACE_US: "50"}], ["1 ms", {FTPD_CLOSE_GRACE_US: "1000"}], ["2 ms", {FTPD_CLOSE_GRACE_US: "2000"}]]
	.filter(([label]) => options.graces.split(",").includes(label));
const VARIABLES = ["FTPD_CLOSE_GRACE_US", "FTPD_PEER_PROCESS"];
const work = mkdtempSync(join(tmpdir(), "ftpd-grace-"));
const stops = [];
try {
	const data = makeData(join(work, "source"));
	const targets = [];
	for (const [label, env] of GRACES) {
		for (const name of VARIABLES) {
			if (env[name] === undefined)
				delete process.env[name];
			else
				process.env[name] = env[name];
		}
		const server = await startOurs(binary, {image: join(work, `${targets.length}.lfs`), size: 64 * 1024 * 1024});
		stops.push(server.stop);
		const client = await BenchClient.login(server.port);
		await client.makeDirectory(UPLOAD_DIR);
		targets.push({key: label, client, pid: server.proc.pid});
	}
	for (const name of VARIABLES)
		delete process.env[name];
	if (options.baseline) {
		const server = await startOurs(options.baseline, {image: join(work, "baseline.lfs"), size: 64 * 1024 * 1024});
		stops.push(server.stop);
		const client = await BenchClient.login(server.port);
		await client.makeDirectory(UPLOAD_DIR);
		targets.push({key: "baseline", client, pid: server.proc.pid});
	}
	if (options.pyftpdlib) {
		mkdirSync(join(work, "pyftpdlib", UPLOAD_DIR), {recursive: true});
		const server = await startPyftpdlib(join(work, "pyftpdlib"));
		stops.push(server.stop);
		targets.push({key: "pyftpdlib", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	const workloads = WORKLOADS.filter(w => w.id.startsWith("stor-"));
	const load = loadavg()[0].toFixed(2);
	const results = await measureAll(targets, data, {runs: Number(options.runs), log, workloads});
	const lines = [`STOR on a LittleFS image, median of ${options.runs} runs, load ${load} at the start`, "",
		`| workload | ${targets.map(t => ((t.key === "baseline") || (t.key === "pyftpdlib")) ? t.key : `grace ${t.key}`).join(" | ")} |`, `|---|${targets.map(() => "--:").join("|")}|`];
	for (const w of workloads) {
		lines.push(`| ${w.label} (${w.unit}) | ${targets.map(t => format(results[w.id][t.key].median)).join(" | ")} |`);
		lines.push(`| server CPU per ${w.op} (µs) | ${targets.map(t => format(results[w.id][t.key].serverCpuMedian / w.ops * 1e6)).join(" | ")} |`);
	}
	console.log(lines.join("\n"));
}
finally {
	for (const stop of stops)
		await stop();
	rmSync(work, {recursive: true, force: true});
}
