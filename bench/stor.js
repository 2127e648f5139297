// node bench/stor.js [--runs N] [--binary PATH] [--baseline PATH] [--workloads stor-big,stor-small]:
// the upload workloads of `npm run bench` alone, on our host (a LittleFS image filled with the
// bench's data set, and a folder) and on pyftpdlib, interleaved in one run; --baseline adds
// another build's image (e.g. main's, before a change). Prints a Markdown table: the rate
// (median of the runs, every run too) and the server's CPU per file.
import {mkdirSync, mkdtempSync, rmSync} from "node:fs";
import {tmpdir, loadavg} from "node:os";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {buildRelease} from "./build.js";
import {BenchClient} from "./client.js";
import {makeData, copyData, uploadData, UPLOAD_DIR} from "./data.js";
import {settleTimeWait} from "./timewait.js";
import {startOurs, startPyftpdlib} from "./servers.js";
import {WORKLOADS, measureAll, format} from "./throughput.js";

const {values: options} = parseArgs({options: {
	runs: {type: "string", default: "7"},
	binary: {type: "string"},
	baseline: {type: "string"},
	workloads: {type: "string", default: "stor-big"},
}});
const log = text => process.stderr.write(`stor: ${text}\n`);
const binary = options.binary ?? buildRelease();
await settleTimeWait({log});

const work = mkdtempSync(join(tmpdir(), "ftpd-stor-"));
const stops = [];
try {
	const source = join(work, "source");
	mkdirSync(source);
	const data = makeData(source);
	const targets = [];
	const image = async (key, build) => {
		const server = await startOurs(build, {image: join(work, `${key}.lfs`), size: 64 * 1024 * 1024});
		stops.push(server.stop);
		const client = await BenchClient.login(server.port);
		await uploadData(client, data, source);
		targets.push({key, client, pid: server.proc.pid});
	};
	await image("image", binary);
	if (options.baseline)
		await image("baseline image", options.baseline);
	{
		copyData(source, join(work, "root"));
		const server = await startOurs(binary, {root: join(work, "root")});
		stops.push(server.stop);
		targets.push({key: "folder", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	{
		copyData(source, join(work, "pyftpdlib"));
		const server = await startPyftpdlib(join(work, "pyftpdlib"));
		stops.push(server.stop);
		targets.push({key: "pyftpdlib", client: await BenchClient.login(server.port), pid: server.proc.pid});
	}
	const chosen = options.workloads.split(",");
	const workloads = WORKLOADS.filter(w => chosen.includes(w.id));
	const load = loadavg()[0].toFixed(2);
	const results = await measureAll(targets, data, {runs: Number(options.runs), log, workloads});
	const lines = [`median of ${options.runs} runs, load ${load} at the start, ${loadavg()[0].toFixed(2)} at the end`, "",
		`| workload | ${targets.map(t => t.key).join(" | ")} |`, `|---|${targets.map(() => "--:").join("|")}|`];
	for (const w of workloads) {
		lines.push(`| ${w.label} (${w.unit}) | ${targets.map(t => format(results[w.id][t.key].median)).join(" | ")} |`);
		lines.push(`| server CPU per ${w.op} (µs) | ${targets.map(t => format(results[w.id][t.key].serverCpuMedian / w.ops * 1e6)).join(" | ")} |`);
		lines.push(`| client CPU share | ${targets.map(t => `${Math.round(results[w.id][t.key].clientCpuMedian * 100)}%`).join(" | ")} |`);
	}
	lines.push("", "every run:");
	for (const w of workloads)
		for (const t of targets)
			lines.push(`- ${w.label}, ${t.key}: ${results[w.id][t.key].runs.map(format).join(", ")}`);
	console.log(lines.join("\n"));
}
finally {
	for (const stop of stops)
		await stop();
	rmSync(work, {recursive: true, force: true});
}
