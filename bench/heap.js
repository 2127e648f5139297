// XS heap figures around 16 MiB transfers, read with SITE FREE (modules/commands/site.ts, from
// modules/server/console.ts) on two instrumented builds (bench/build.js):
// - live: collected before each reading, so before/after compare what stays allocated;
// - alloc: never collected during the measurement, so after − before is every byte allocated
//   in between, garbage included. Compared with a 4 KiB transfer, it tells whether any of it
//   grows with the size of the file.
import {randomBytes} from "node:crypto";
import {mkdirSync, rmSync} from "node:fs";
import {join} from "node:path";
import {BenchClient} from "./client.js";
import {startOurs} from "./servers.js";

const BIG = 16 * 1024 * 1024;
const SMALL = 4096;

/** {slots, chunks, collected}, or throws with SITE FREE's reply. */
async function free(client) {
	const reply = await client.command("SITE FREE");
	const m = /slots (\d+) bytes, chunks (\d+) bytes/.exec(reply.text);
	if ((reply.code !== 211) || !m)
		throw new Error(`SITE FREE: ${reply.text}`);
	return {slots: Number(m[1]), chunks: Number(m[2]), collected: /after garbage collection/.test(reply.text)};
}

const total = f => f.slots + f.chunks;

async function withServer(binary, storage, body) {
	const server = await startOurs(binary, storage);
	try {
		const client = await BenchClient.login(server.port);
		const result = await body(client);
		await client.quit();
		return result;
	}
	finally {
		await server.stop();
	}
}

function storages(work) {
	return {
		image: {image: join(work, "heap.lfs"), size: 64 * 1024 * 1024},
		root: {root: join(work, "root")},
	};
}

/**
 * Returns {live: {[storage]: {...}}, alloc: {[storage]: {...}}}; `binaries` is {live, alloc}.
 */
export async function measureHeap(binaries, work, {log = () => {}} = {}) {
	const big = randomBytes(BIG);
	const small = randomBytes(SMALL);
	const results = {live: {}, alloc: {}};

	for (const [kind, binary] of Object.entries(binaries)) {
		for (const [name, storage] of Object.entries(storages(work))) {
			rmSync(work, {recursive: true, force: true});
			mkdirSync(join(work, "root"), {recursive: true});
			results[kind][name] = await withServer(binary, storage, async client => {
				await client.store("big.bin", big);
				await client.store("small.bin", small);
				// warm-up: the first transfer of a session loads and links what later ones reuse
				await client.retrieve("small.bin");
				await client.store("warm.bin", small);
				if (kind === "live") {
					const before = await free(client);
					await client.retrieve("big.bin");
					const afterRetr = await free(client);
					await client.store("up.bin", big);
					const afterStor = await free(client);
					for (let i = 0; i < 10; i++)
						await client.retrieve("big.bin");
					const afterTen = await free(client);
					return {before, afterRetr, afterStor, afterTen,
						retrGrowth: total(afterRetr) - total(before),
						storGrowth: total(afterStor) - total(afterRetr),
						tenGrowth: total(afterTen) - total(afterStor)};
				}
				// what one SITE FREE costs itself, to take out of every difference below
				const a = await free(client);
				const b = await free(client);
				const reading = {slots: b.slots - a.slots, chunks: b.chunks - a.chunks};
				reading.total = reading.slots + reading.chunks;
				const between = async action => {
					const before = await free(client);
					await action();
					const after = await free(client);
					if ((after.slots < before.slots) || (after.chunks < before.chunks))
						throw new Error("the heap shrank: a collection ran during the measurement, enlarge bench/heap/alloc.json's heaps");
					const slots = after.slots - before.slots - reading.slots;
					const chunks = after.chunks - before.chunks - reading.chunks;
					return {slots, chunks, total: slots + chunks};
				};
				return {
					reading,
					retrSmall: await between(() => client.retrieve("small.bin")),
					retrBig: await between(() => client.retrieve("big.bin")),
					storSmall: await between(() => client.store("up-small.bin", small)),
					storBig: await between(() => client.store("up-big.bin", big)),
				};
			});
			log(`heap ${kind} ${name}: ${JSON.stringify(results[kind][name])}`);
		}
	}
	rmSync(work, {recursive: true, force: true});
	return results;
}
