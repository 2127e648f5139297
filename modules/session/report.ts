/*
 * How a transfer reads in the log and in SITE WHO: bytes, seconds and a rate a person can
 * read. Pure (nothing from Moddable), so Node tests it.
 */

/** A rate in bytes per second, in decimal units: "512 B/s", "3.4 kB/s", "19.2 MB/s"; "-" when no time has passed. */
export function formatRate(bytes: number, ms: number): string {
	if (!(ms > 0))
		return "-";
	const rate = bytes * 1000 / ms;
	if (rate < 1000)
		return `${Math.round(rate)} B/s`;
	if (rate < 1e6)
		return `${(rate / 1e3).toFixed(1)} kB/s`;
	return `${(rate / 1e6).toFixed(1)} MB/s`;
}

/** A duration in seconds with millisecond precision: "0.052 s". */
export function formatSeconds(ms: number): string {
	return `${(Math.max(0, ms) / 1000).toFixed(3)} s`;
}

/**
 * The log line of a transfer that has ended, after the session's label ("#3 127.0.0.1"):
 * "admin RETR /big.bin: 1048576 bytes in 0.052 s (19.2 MB/s), 226" or, failed,
 * "admin STOR /x.bin: 4096 bytes in 1.203 s (3.4 kB/s), 426 ECONNRESET: connection closed".
 */
export function formatTransfer(user: string, verb: string, path: string, bytes: number, ms: number, code: number, cause?: string): string {
	return `${user || "-"} ${verb} ${path}: ${bytes} bytes in ${formatSeconds(ms)} (${formatRate(bytes, ms)}), ${code}${cause ? " " + cause : ""}`;
}
