// Loopback connections left in TIME_WAIT. Each 4 KiB file of the per-file workloads is two
// connections, and a test run leaves tens of thousands: with that many, every bind() to port 0
// (a passive listener) and every connect() searches longer for a free port, and that kernel
// time lands in the server's CPU per file (3 to 4 ms per 4 KiB file instead of 0.3 to 0.5 ms,
// for every server alike). The bench waits for them to clear before it starts, and reports
// the count.
import {readFileSync} from "node:fs";

/** Sockets in TIME_WAIT (state 06 in /proc/net/tcp and tcp6). */
export function timeWaitCount() {
	let count = 0;
	for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
		let text;
		try {
			text = readFileSync(file, "utf8");
		}
		catch (error) {
			if (error.code === "ENOENT")
				continue;
			throw error;
		}
		for (const line of text.split("\n").slice(1)) {
			if (line.trim().split(/\s+/)[3] === "06")
				count++;
		}
	}
	return count;
}

/** Waits (at most `maxMs`: the kernel keeps a TIME_WAIT for 60 s) until fewer than `limit` remain; returns the count then. */
export async function settleTimeWait({limit = 1000, maxMs = 75000, log = () => {}} = {}) {
	const started = Date.now();
	let count = timeWaitCount();
	if (count >= limit)
		log(`${count} connections in TIME_WAIT: waiting for them to clear (at most ${Math.round(maxMs / 1000)} s)`);
	while ((count >= limit) && (Date.now() - started < maxMs)) {
		await new Promise(resolve => setTimeout(resolve, 2000));
		count = timeWaitCount();
	}
	return count;
}
