// Starts the servers the benchmark compares, each on its own copy of the data set, on
// loopback, each resolving once it accepts connections. Every one has stop().
import {spawn, spawnSync} from "node:child_process";
import {writeFileSync, chownSync, mkdirSync, existsSync} from "node:fs";
import {join, dirname} from "node:path";
import {fileURLToPath} from "node:url";
import net from "node:net";

const here = dirname(fileURLToPath(import.meta.url));
export const PYTHON = "/usr/bin/python3";		// Debian's, which has python3-pyftpdlib
export const VSFTPD = "/usr/sbin/vsftpd";

/** Spawns `command` and resolves with {proc, match} once `ready` matches its stdout. */
function spawnReady(name, command, args, ready, {readyTimeout = 30000} = {}) {
	const proc = spawn(command, args, {stdio: ["ignore", "pipe", "pipe"]});
	let stdout = "", stderr = "";
	proc.stdout.setEncoding("utf8");
	proc.stderr.setEncoding("utf8");
	proc.stderr.on("data", text => { stderr = (stderr + text).slice(-4000); });
	const exited = new Promise(resolve => proc.on("exit", (code, signal) => resolve({code, signal})));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			proc.kill("SIGKILL");
			reject(new Error(`${name}: not ready in ${readyTimeout / 1000} s; stderr:\n${stderr}`));
		}, readyTimeout);
		proc.stdout.on("data", text => {
			stdout += text;
			const match = ready.exec(stdout);
			if (match) {
				clearTimeout(timer);
				resolve({proc, match, exited, stderr: () => stderr});
			}
		});
		proc.on("error", error => {
			clearTimeout(timer);
			reject(new Error(`${name}: ${error.message}`));
		});
		proc.on("exit", code => {
			clearTimeout(timer);
			reject(new Error(`${name}: exited (${code}) before it was ready; stderr:\n${stderr}`));
		});
	});
}

function stopper(proc, exited) {
	return async () => {
		if ((proc.exitCode === null) && (proc.signalCode === null))
			proc.kill("SIGKILL");
		await exited;
	};
}

/**
 * Our Linux host. `storage` is {image, size} (LittleFS image) or {root} (a folder).
 * `wrap` runs it under another program (valgrind): [command, ...args].
 */
export async function startOurs(binary, storage, {wrap = [], verbose = 0, readyTimeout} = {}) {
	const args = ["--port", "0", "--verbose", String(verbose), "--max-sessions", "16"];
	if (storage.root)
		args.push("--root", storage.root);
	else
		args.push("--image", storage.image, "--image-size", String(storage.size));
	const [command, ...before] = wrap.length ? wrap : [binary];
	const all = wrap.length ? [...before, binary, ...args] : args;
	const {proc, match, exited, stderr} = await spawnReady("ftpd", command, all,
		/^ftpd: listening on ftp:\/\/[\d.]+:(\d+)\/$/m, {readyTimeout});
	return {name: "ftpd", port: Number(match[1]), proc, exited, stderr, stop: stopper(proc, exited),
		/** SIGTERM (a clean exit, so valgrind writes its output), then waits. */
		async terminate() {
			proc.kill("SIGTERM");
			return exited;
		}};
}

export async function startPyftpdlib(root) {
	const {proc, match, exited} = await spawnReady("pyftpdlib", PYTHON, [join(here, "pyftpd.py"), root],
		/listening on port (\d+), sendfile (\w+)/);
	return {name: "pyftpdlib", port: Number(match[1]), sendfile: match[2], proc, stop: stopper(proc, exited)};
}

/** A port free right now (vsftpd needs one named in its configuration). */
function freePort() {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const {port} = server.address();
			server.close(() => resolve(port));
		});
	});
}

async function acceptsConnections(port) {
	for (let i = 0; i < 100; i++) {
		const ok = await new Promise(resolve => {
			const socket = net.connect(port, "127.0.0.1");
			socket.once("connect", () => { socket.destroy(); resolve(true); });
			socket.once("error", () => resolve(false));
		});
		if (ok)
			return;
		await new Promise(resolve => setTimeout(resolve, 50));
	}
	throw new Error(`vsftpd: nothing listens on ${port}`);
}

/**
 * vsftpd, unprivileged: run_as_launching_user=YES, so it needs no root and does no chroot.
 * As root it is launched as `nobody` (the files are chowned to it by the caller, see owner()),
 * so no part of it runs privileged. `anon_root` is the served folder.
 */
export async function startVsftpd(root, workDir) {
	const user = vsftpdUser();
	const port = await freePort();
	const config = join(workDir, "vsftpd.conf");
	mkdirSync(workDir, {recursive: true});
	writeFileSync(config, [
		"listen=YES",
		"listen_ipv6=NO",
		"listen_address=127.0.0.1",
		`listen_port=${port}`,
		"run_as_launching_user=YES",
		"background=NO",
		"anonymous_enable=YES",
		"no_anon_password=YES",
		"local_enable=NO",
		`anon_root=${root}`,
		"write_enable=YES",
		"anon_upload_enable=YES",
		"anon_mkdir_write_enable=YES",
		"anon_other_write_enable=YES",
		"anon_world_readable_only=NO",
		"pasv_enable=YES",
		"pasv_address=127.0.0.1",
		"max_clients=0",
		"max_per_ip=0",
		"xferlog_enable=NO",
		"dirmessage_enable=NO",
		"seccomp_sandbox=NO",
		`vsftpd_log_file=${join(workDir, "vsftpd.log")}`,
		"",
	].join("\n"));
	// vsftpd reads its configuration only when the user it runs as owns it
	if (user.uid !== undefined)
		chownSync(config, user.uid, user.gid);
	const [command, ...args] = user.uid !== undefined
		? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", VSFTPD, config]
		: [VSFTPD, config];
	const proc = spawn(command, args, {stdio: ["ignore", "pipe", "pipe"]});
	let stderr = "";
	proc.stderr.setEncoding("utf8");
	proc.stdout.setEncoding("utf8");
	proc.stderr.on("data", text => { stderr += text; });
	proc.stdout.on("data", text => { stderr += text; });
	const exited = new Promise(resolve => proc.on("exit", (code, signal) => resolve({code, signal})));
	const failed = exited.then(({code}) => { throw new Error(`vsftpd exited (${code}): ${stderr}`); });
	await Promise.race([acceptsConnections(port), failed]);
	failed.catch(() => {});
	return {name: "vsftpd", port, proc, user: user.name, stop: stopper(proc, exited)};
}

/** Who vsftpd runs as: `nobody` when we are root, else ourselves. */
export function vsftpdUser() {
	if (process.getuid() !== 0)
		return {name: process.env.USER ?? "the current user"};
	const id = spawnSync("id", ["-u", "nobody"], {encoding: "utf8"});
	const gid = spawnSync("id", ["-g", "nobody"], {encoding: "utf8"});
	return {name: "nobody", uid: Number(id.stdout), gid: Number(gid.stdout)};
}

export function referencesInstalled() {
	const missing = [];
	if (spawnSync(PYTHON, ["-c", "import pyftpdlib"]).status !== 0)
		missing.push("python3-pyftpdlib");
	if (!existsSync(VSFTPD))
		missing.push("vsftpd");
	return missing;
}

/** The installed Debian version of a package, for the results' header. */
export function debianVersion(name) {
	const r = spawnSync("dpkg-query", ["-W", "-f=${Version}", name], {encoding: "utf8"});
	return r.status === 0 ? r.stdout.trim() : "?";
}
