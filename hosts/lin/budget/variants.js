// The memory-budget variants of the Linux host: ./manifest.json (the ESP8266's fixed XS memory),
// ./esp32.json (the ESP32's XS memory),
// ./linux.json (the usual Linux memory) and ./linux-preloaded.json (the same, every module
// preloaded), all with the modules the memory figures need (./measure.json).
// Builds them, and starts a host executable on a fresh image for a test or a measurement.
import {spawn} from "node:child_process";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import {buildHost} from "../../../scripts/sdk.js";

const here = dirname(fileURLToPath(import.meta.url));

// Both variants include the root manifest, whose build NAME ("ftpd") names the executable
// whatever folder the build goes to, while buildHost() assumes the executable is named after
// its folder: each gets its own folder under build/, and the executable is ftpd in it.
function build(manifest, folder, kind) {
	return join(dirname(buildHost({manifest: join(here, manifest), name: folder, kind, quiet: true})), "ftpd");
}

/** @param {"release"|"debug"|"instrument"} kind */
export function buildBudgetHost(kind = "release") {
	return build("manifest.json", "ftpd-budget", kind);
}

/** The Linux host in the ESP32's XS memory (./esp32.json). */
export function buildEsp32Host(kind = "instrument") {
	return build("esp32.json", "ftpd-esp32", kind);
}

/** The Linux host as it is, with the modules the memory figures need. */
export function buildMeasuredHost(kind = "instrument") {
	return build("linux.json", "ftpd-measure", kind);
}

/** The same with every module preloaded (./preload.json). */
export function buildPreloadedHost(kind = "instrument") {
	return build("linux-preloaded.json", "ftpd-preloaded", kind);
}


/**
 * Starts `binary` on a free port and a new image in a temporary folder; resolves once it is
 * ready. `exited` resolves with its exit code and signal; `stderr` collects what it wrote there.
 * @param {string} binary
 * @param {object} [o]
 * @param {string[]} [o.args] more flags
 * @param {Record<string, string>} [o.env] more environment
 */
export async function startHost(binary, {args = [], env = {}} = {}) {
	const dir = mkdtempSync(join(tmpdir(), "ftpd-budget-"));
	const proc = spawn(binary, ["--port", "0", "--image", join(dir, "ftpd.lfs"), ...args], {
		env: {...process.env, ...env}, stdio: ["ignore", "pipe", "pipe"],
	});
	const host = {
		proc, dir, port: 0, stdout: "", stderr: "",
		exited: new Promise(resolve => proc.on("exit", (code, signal) => resolve({code, signal}))),
		async dispose() {
			if ((proc.exitCode === null) && (proc.signalCode === null))
				proc.kill("SIGKILL");
			await host.exited;
			rmSync(dir, {recursive: true, force: true});
		},
	};
	proc.stdout.setEncoding("utf8");
	proc.stderr.setEncoding("utf8");
	proc.stderr.on("data", text => { host.stderr += text; });
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no ready line in 20 s; stderr:\n${host.stderr}`)), 20000);
		proc.stdout.on("data", text => {
			host.stdout += text;
			// a debug build's trace() writes the log to stdout too: the ready line is among it
			const m = /^ftpd: listening on ftp:\/\/[\d.]+:(\d+)\/$/m.exec(host.stdout);
			if (m && !host.port) {
				clearTimeout(timer);
				host.port = Number(m[1]);
				resolve();
			}
		});
		proc.on("exit", code => {
			clearTimeout(timer);
			reject(new Error(`ftpd exited (${code}) before it was ready; stderr:\n${host.stderr}`));
		});
	});
	return host;
}
