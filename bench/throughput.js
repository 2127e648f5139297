// The timed workloads. Each run returns the seconds of its timed part; what it leaves behind
// (uploads) is removed by its cleanup, untimed, so every run of every server starts from the
// same files.
import {readFileSync, readdirSync} from "node:fs";
import {performance} from "node:perf_hooks";
import {BIG_NAME, BIG_SIZE, SMALL_DIR, SMALL_COUNT, SMALL_SIZE, LIST_DIR, LIST_COUNT, UPLOAD_DIR, smallName} from "./data.js";

/** Listings per LIST run: one listing takes milliseconds, too short to time alone. */
export const LIST_REPEAT = 20;
/**
 * 16 MiB transfers per run: one takes 3 to 10 ms on loopback, and a pause of the machine of a
 * few milliseconds (another VM, the scheduler) then halves a run's figure.
 */
export const BIG_REPEAT = 4;
/**
 * Timed runs of the 16 MiB workloads, at least: a run is a few tens of milliseconds, and the
 * machine's pauses make their figures bimodal (about 2,000 or 5,500 MB/s for the same server),
 * so that the median of five can land on the slow side for one server and not the others.
 * The per-file workloads keep the count asked (their runs' data connections add up in
 * TIME_WAIT, which slows every server alike: 9 runs of them were tried).
 */
export const BIG_RUNS = 9;

function check(what, got, expected) {
	if (got !== expected)
		throw new Error(`${what}: ${got} bytes, expected ${expected}`);
}

async function timed(body) {
	const start = performance.now();
	await body();
	return (performance.now() - start) / 1000;
}

export const WORKLOADS = [
	{
		id: "retr-big", label: "RETR 16 MiB", unit: "MB/s", rate: seconds => BIG_REPEAT * BIG_SIZE / 1e6 / seconds, ops: BIG_REPEAT, op: "file", runs: BIG_RUNS,
		async run(client) {
			return timed(async () => {
				for (let i = 0; i < BIG_REPEAT; i++)
					check("RETR", await client.retrieve(BIG_NAME), BIG_SIZE);
			});
		},
	},
	{
		id: "stor-big", label: "STOR 16 MiB", unit: "MB/s", rate: seconds => BIG_REPEAT * BIG_SIZE / 1e6 / seconds, ops: BIG_REPEAT, op: "file", runs: BIG_RUNS,
		async run(client, data) {
			// the same name each time: from the second upload on, each replaces the one before
			return timed(async () => {
				for (let i = 0; i < BIG_REPEAT; i++)
					await client.store(`${UPLOAD_DIR}/${BIG_NAME}`, data.big);
			});
		},
		async cleanup(client) {
			await client.delete(`${UPLOAD_DIR}/${BIG_NAME}`);
		},
	},
	{
		id: "retr-small", label: `RETR ${SMALL_COUNT} × 4 KiB`, unit: "files/s", rate: seconds => SMALL_COUNT / seconds, ops: SMALL_COUNT, op: "file",
		async run(client) {
			return timed(async () => {
				for (let i = 0; i < SMALL_COUNT; i++)
					check("RETR", await client.retrieve(`${SMALL_DIR}/${smallName(i)}`), SMALL_SIZE);
			});
		},
	},
	{
		id: "stor-small", label: `STOR ${SMALL_COUNT} × 4 KiB`, unit: "files/s", rate: seconds => SMALL_COUNT / seconds, ops: SMALL_COUNT, op: "file",
		async run(client, data) {
			return timed(async () => {
				for (let i = 0; i < SMALL_COUNT; i++)
					await client.store(`${UPLOAD_DIR}/${smallName(i)}`, data.small[i]);
			});
		},
		async cleanup(client) {
			for (let i = 0; i < SMALL_COUNT; i++)
				await client.delete(`${UPLOAD_DIR}/${smallName(i)}`);
		},
	},
	{
		id: "list", label: `LIST of ${LIST_COUNT} entries`, unit: "listings/s", rate: seconds => LIST_REPEAT / seconds, ops: LIST_REPEAT, op: "listing",
		async run(client) {
			return timed(async () => {
				for (let i = 0; i < LIST_REPEAT; i++) {
					const bytes = await client.list(LIST_DIR);
					if (bytes < LIST_COUNT * 20)
						throw new Error(`LIST: only ${bytes} bytes for ${LIST_COUNT} entries`);
				}
			});
		},
	},
];

export function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	return (sorted.length % 2) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * CPU time (ns) used so far by process `pid`, its threads and its descendants (vsftpd serves each
 * session in a child), from the scheduler's own accounting (/proc/PID/task/TID/schedstat):
 * nanoseconds, where /proc/PID/stat counts 10 ms ticks, too coarse for a 20 ms transfer.
 * Exited threads or children are not counted: every server here keeps them for the session.
 */
export function cpuNanos(pid) {
	const parents = new Map();
	for (const name of readdirSync("/proc")) {
		if (!/^\d+$/.test(name))
			continue;
		try {
			const stat = readFileSync(`/proc/${name}/stat`, "utf8");
			parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
		}
		catch {
			// gone in between
		}
	}
	const family = new Set([pid]);
	for (let grew = true; grew;) {
		grew = false;
		for (const [child, parent] of parents) {
			if (family.has(parent) && !family.has(child)) {
				family.add(child);
				grew = true;
			}
		}
	}
	let total = 0;
	for (const member of family) {
		try {
			for (const task of readdirSync(`/proc/${member}/task`))
				total += Number(readFileSync(`/proc/${member}/task/${task}/schedstat`, "utf8").split(" ")[0]);
		}
		catch {
			// gone in between
		}
	}
	return total;
}

/**
 * Runs every workload on every target: one warm-up run, then `runs` timed ones, interleaved
 * across targets (run 1 of each, then run 2 of each...) so that a slow spell of the machine
 * does not land on one server only. Returns {[workload]: {[target]: {runs: [rate], median,
 * serverCpuMedian (s per run), clientCpuMedian (share of the run)}}}.
 * `targets` is [{key, client, pid}], `log` reports progress, `workloads` picks some of WORKLOADS.
 */
export async function measureAll(targets, data, {runs = 3, log = () => {}, workloads = WORKLOADS} = {}) {
	const results = {};
	for (const workload of workloads) {
		results[workload.id] = {};
		for (const target of targets)
			results[workload.id][target.key] = {runs: [], clientCpu: [], serverCpu: []};
		const count = workload.runs ? Math.max(runs, workload.runs) : runs;
		for (let run = 0; run <= count; run++) {
			for (const target of targets) {
				// CPU time over the timed part: the client's (near 100% of the run's time, the
				// client is what limits the figure) and the server's (seconds of CPU per run: less
				// disturbed by other load on the machine than the elapsed time is)
				const serverBefore = cpuNanos(target.pid);
				const clientBefore = process.cpuUsage();
				const seconds = await workload.run(target.client, data);
				const client = process.cpuUsage(clientBefore);
				const server = (cpuNanos(target.pid) - serverBefore) / 1e9;
				await workload.cleanup?.(target.client);
				if (run > 0) {
					const entry = results[workload.id][target.key];
					entry.runs.push(workload.rate(seconds));
					entry.clientCpu.push((client.user + client.system) / 1e6 / seconds);
					entry.serverCpu.push(server);
				}
			}
		}
		for (const target of targets) {
			const entry = results[workload.id][target.key];
			entry.median = median(entry.runs);
			entry.clientCpuMedian = median(entry.clientCpu);
			entry.serverCpuMedian = median(entry.serverCpu);
		}
		log(`${workload.label}: ` + targets.map(t => `${t.key} ${format(results[workload.id][t.key].median)}`).join(", ") + ` ${workload.unit}`);
	}
	return results;
}

/** Three significant figures, no exponent. */
export function format(value) {
	if (!Number.isFinite(value))
		return "–";
	if (value >= 100)
		return Math.round(value).toLocaleString("en-US");
	return value.toPrecision(3);
}
