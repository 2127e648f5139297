// Starts the real XS Linux host for a test suite: a free port, a fresh image (or folder) in a
// temporary directory, and the ready line awaited. The binary is built once per run by
// scripts/test.js (FTPD_BINARY); run alone, a suite builds it itself.
import {spawn} from "node:child_process";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {buildHost} from "../../scripts/sdk.js";

let binary = process.env.FTPD_BINARY;

export function ftpdBinary() {
	binary ??= buildHost({quiet: true});
	return binary;
}

/**
 * @param {object} [o]
 * @param {string[]} [o.args] extra flags
 * @param {string} [o.image] image file to use (default: a new one in a temporary folder)
 * @param {string} [o.dir] temporary folder to reuse (e.g. to restart on the same image)
 * @param {string} [o.binary] another build of the host (default: the project's)
 */
export async function startServer({args = [], image, dir, binary} = {}) {
	dir ??= mkdtempSync(join(tmpdir(), "ftpd-test-"));
	const usesRoot = args.includes("--root");
	image ??= join(dir, "ftpd.lfs");
	const argv = ["--port", "0", "--verbose", "2", ...(usesRoot ? [] : ["--image", image]), ...args];
	const proc = spawn(binary ?? ftpdBinary(), argv, {stdio: ["ignore", "pipe", "pipe"]});
	const server = {
		proc, dir, image, host: "127.0.0.1", port: 0, url: "",
		stdout: "", stderr: "",
		exited: new Promise(resolve => proc.on("exit", (code, signal) => resolve({code, signal}))),
		/** Stops it with `signal` and resolves with its exit code. */
		async stop(signal = "SIGTERM") {
			if (proc.exitCode === null && proc.signalCode === null)
				proc.kill(signal);
			return server.exited;
		},
		/** Stops it and removes its temporary folder. */
		async dispose() {
			await server.stop("SIGKILL");
			rmSync(dir, {recursive: true, force: true});
		},
	};
	proc.stdout.setEncoding("utf8");
	proc.stderr.setEncoding("utf8");
	proc.stderr.on("data", text => { server.stderr += text; });
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no ready line in 20 s; stderr:\n${server.stderr}`)), 20000);
		proc.stdout.on("data", text => {
			server.stdout += text;
			const m = /^ftpd: listening on ftp:\/\/([\d.]+):(\d+)\/(?: \(.*\))?$/m.exec(server.stdout);
			if (m) {
				clearTimeout(timer);
				server.host = m[1];
				server.port = Number(m[2]);
				server.url = `ftp://${m[1]}:${m[2]}`;
				resolve();
			}
		});
		proc.on("exit", code => {
			clearTimeout(timer);
			reject(new Error(`ftpd exited (${code}) before it was ready; stderr:\n${server.stderr}`));
		});
	});
	return server;
}
