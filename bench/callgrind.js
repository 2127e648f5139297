// Instructions the server executes per byte moved, counted by callgrind (repeatable, unlike
// times). Each figure is one server process from start to exit: a run that transfers minus a
// run that does not (same start-up, same login and QUIT, same exit), so start-up is not counted.
// A 4 KiB transfer measured the same way gives the fixed cost of one command, and the
// difference between the two transfers the marginal cost of each byte.
import {spawnSync} from "node:child_process";
import {copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {randomBytes} from "node:crypto";
import {BenchClient} from "./client.js";
import {startOurs} from "./servers.js";
import {LIST_DIR, listName} from "./data.js";

export const CG_BIG = 4 * 1024 * 1024;
export const CG_SMALL = 4096;
/** Per command: this many PASV + RETR of the 4 KiB file in one session (the harness). */
export const CG_COMMANDS = 50;
/** Per listing: this many LIST of a folder of CG_LIST_ENTRIES files. */
export const CG_LISTINGS = 10;
export const CG_LIST_ENTRIES = 500;
/** The targets (issue 14): instructions per 4 KiB RETR and per LIST of 500 entries, on the image. */
export const CG_TARGETS = {command: 200000, listing: 4800000, retrPerByte: 0.5, storPerByte: 2.2};

export function valgrindAvailable() {
	return spawnSync("valgrind", ["--version"], {encoding: "utf8"}).status === 0;
}

function totalOf(file) {
	const m = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(file, "utf8"));
	if (!m)
		throw new Error(`no totals in ${file}`);
	return Number(m[1]);
}

/** Self instructions per function, from callgrind_annotate (every function: threshold 100%). */
function selfCosts(file) {
	const r = spawnSync("callgrind_annotate", ["--threshold=100", "--inclusive=no", file], {encoding: "utf8", maxBuffer: 64 << 20});
	const costs = new Map();
	for (const line of r.stdout.split("\n")) {
		const m = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)(?:\s+\[[^\]]*\])?\s*$/.exec(line);
		if (!m || !m[2].includes(":"))
			continue;
		const count = Number(m[1].replace(/,/g, ""));
		// "file:function": the function alone (the files are libc's sources or unknown)
		const name = m[2].slice(m[2].lastIndexOf(":") + 1);
		costs.set(name, (costs.get(name) ?? 0) + count);
	}
	return costs;
}

/** The functions whose self cost grew most from `baseline` to `run`: [{name, count}]. */
function topDifference(baseline, run, count = 12) {
	const before = selfCosts(baseline);
	const after = selfCosts(run);
	const rows = [];
	for (const [name, value] of after) {
		const grown = value - (before.get(name) ?? 0);
		if (grown > 0)
			rows.push({name, count: grown});
	}
	rows.sort((a, b) => b.count - a.count);
	return rows.slice(0, count);
}

/**
 * `binary`: the release host. `work`: a scratch folder. Returns, per storage ("image",
 * "root"), the instruction counts and the top functions of the large RETR and STOR.
 */
export async function measureInstructions(binary, work, {log = () => {}} = {}) {
	const big = randomBytes(CG_BIG);
	const small = randomBytes(CG_SMALL);
	const imageSize = 64 * 1024 * 1024;
	mkdirSync(work, {recursive: true});

	// The starting state of every run: both files present, nothing else.
	const folder = join(work, "folder");
	mkdirSync(join(folder, "up"), {recursive: true});
	mkdirSync(join(folder, LIST_DIR), {recursive: true});
	writeFileSync(join(folder, "big.bin"), big);
	writeFileSync(join(folder, "small.bin"), small);
	const entries = Array.from({length: CG_LIST_ENTRIES}, (_, i) => randomBytes(i % 97));
	entries.forEach((bytes, i) => writeFileSync(join(folder, LIST_DIR, listName(i)), bytes));
	const image = join(work, "start.lfs");
	{
		const server = await startOurs(binary, {image, size: imageSize});
		const client = await BenchClient.login(server.port);
		await client.makeDirectory("up");
		await client.store("big.bin", big);
		await client.store("small.bin", small);
		await client.makeDirectory(LIST_DIR);
		for (let i = 0; i < CG_LIST_ENTRIES; i++)
			await client.store(`${LIST_DIR}/${listName(i)}`, entries[i]);
		await client.quit();
		await server.terminate();
	}

	const actions = {
		idle: async () => {},
		"retr-small": async c => c.retrieve("small.bin"),
		"retr-big": async c => c.retrieve("big.bin"),
		"stor-small": async c => c.store("up/small.bin", small),
		"stor-big": async c => c.store("up/big.bin", big),
		"noop-many": async c => {
			for (let i = 0; i < CG_COMMANDS; i++)
				await c.command("NOOP");
		},
		"retr-many": async c => {
			for (let i = 0; i < CG_COMMANDS; i++)
				await c.retrieve("small.bin");
		},
		"list-many": async c => {
			for (let i = 0; i < CG_LISTINGS; i++)
				await c.list(LIST_DIR);
		},
	};
	const results = {};
	for (const storage of ["image", "root"]) {
		const counts = {};
		const files = {};
		for (const [name, action] of Object.entries(actions)) {
			const run = join(work, `${storage}-${name}`);
			rmSync(run, {recursive: true, force: true});
			mkdirSync(run);
			let where;
			if (storage === "image") {
				copyFileSync(image, join(run, "volume.lfs"));
				where = {image: join(run, "volume.lfs"), size: imageSize};
			}
			else {
				cpSync(folder, join(run, "root"), {recursive: true});
				where = {root: join(run, "root")};
			}
			const out = join(run, "callgrind.out");
			const server = await startOurs(binary, where, {
				wrap: ["valgrind", "--tool=callgrind", `--callgrind-out-file=${out}`, "--quiet"],
				readyTimeout: 180000,
			});
			const client = await BenchClient.login(server.port);
			await action(client);
			await client.quit();
			const {code, signal} = await server.terminate();
			if (code !== 0)
				throw new Error(`callgrind run ${storage}/${name} exited ${code ?? signal}: ${server.stderr()}`);
			counts[name] = totalOf(out);
			files[name] = out;
			log(`callgrind ${storage} ${name}: ${counts[name].toLocaleString("en-US")} instructions`);
		}
		const over = name => counts[name] - counts.idle;
		results[storage] = {
			counts,
			retr: {
				perByte: over("retr-big") / CG_BIG,
				fixed: over("retr-small"),
				marginal: (counts["retr-big"] - counts["retr-small"]) / (CG_BIG - CG_SMALL),
			},
			stor: {
				perByte: over("stor-big") / CG_BIG,
				fixed: over("stor-small"),
				marginal: (counts["stor-big"] - counts["stor-small"]) / (CG_BIG - CG_SMALL),
			},
			perCommand: over("retr-many") / CG_COMMANDS,
			// the bare round trip of a command (line in, dispatch, one reply), part of each of the two above
			perNoop: over("noop-many") / CG_COMMANDS,
			perListing: over("list-many") / CG_LISTINGS,
			top: {
				retr: topDifference(files.idle, files["retr-big"]),
				stor: topDifference(files.idle, files["stor-big"]),
				command: topDifference(files.idle, files["retr-many"]).map(row => ({...row, count: row.count / CG_COMMANDS})),
				listing: topDifference(files.idle, files["list-many"]).map(row => ({...row, count: row.count / CG_LISTINGS})),
			},
		};
	}
	return results;
}
