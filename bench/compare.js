// Before/after for a change to the host: the same workloads as `npm run bench`, on our host only,
// for several builds at once, interleaved run by run, on an image and on a folder.
//
//   node bench/compare.js [--runs N] before=build/a/ftpd after=build/b/ftpd ...
//
// Prints a Markdown table of median rates and server CPU per operation.
import {mkdtempSync, mkdirSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {BenchClient} from "./client.js";
import {makeData, copyData, uploadData} from "./data.js";
import {startOurs} from "./servers.js";
import {WORKLOADS, measureAll, format} from "./throughput.js";

const {values: options, positionals} = parseArgs({allowPositionals: true, options: {
	runs: {type: "string", default: "5"},
}});
const builds = positionals.map(arg => {
	const at = arg.indexOf("=");
	return at < 0 ? {name: arg, binary: arg} : {name: arg.slice(0, at), binary: arg.slice(at + 1)};
});
if (!builds.length) {
	console.error("usage: node bench/compare.js [--runs N] name=binary ...");
	process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "ftpd-compare-"));
const stops = [];
try {
	const source = join(work, "source");
	mkdirSync(source);
	const data = makeData(source);
	const targets = [];
	for (const [i, build] of builds.entries()) {
		const imageServer = await startOurs(build.binary, {image: join(work, `${i}.lfs`), size: 64 * 1024 * 1024});
		stops.push(imageServer.stop);
		const imageClient = await BenchClient.login(imageServer.port);
		await uploadData(imageClient, data, source);
		targets.push({key: `${build.name}, image`, client: imageClient, pid: imageServer.proc.pid});
		copyData(source, join(work, `${i}-root`));
		const rootServer = await startOurs(build.binary, {root: join(work, `${i}-root`)});
		stops.push(rootServer.stop);
		targets.push({key: `${build.name}, folder`, client: await BenchClient.login(rootServer.port), pid: rootServer.proc.pid});
	}
	const results = await measureAll(targets, data, {runs: Number(options.runs), log: text => process.stderr.write(text + "\n")});
	const lines = [
		`| workload | ${targets.map(t => t.key).join(" | ")} |`,
		`|---|${targets.map(() => "--:").join("|")}|`,
	];
	for (const w of WORKLOADS) {
		const cells = targets.map(t => {
			const r = results[w.id][t.key];
			const cpu = r.serverCpuMedian / w.ops;
			return `${format(r.median)} ${w.unit} (CPU ${cpu >= 0.001 ? format(cpu * 1e3) + " ms" : format(cpu * 1e6) + " µs"}/${w.op})`;
		});
		lines.push(`| ${w.label} | ${cells.join(" | ")} |`);
	}
	console.log(lines.join("\n"));
	for (const target of targets)
		await target.client.quit();
}
finally {
	while (stops.length)
		await stops.pop()().catch(() => {});
	rmSync(work, {recursive: true, force: true});
}
