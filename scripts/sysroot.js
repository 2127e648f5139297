// Where the device sysroot is (the vendor headers the firmware compiles against; its README
// says what is inside): FTPD_DEVICE_SYSROOT, else ../shared/device-sysroot beside the project,
// else beside the repository this one was cloned from when that is a folder on this machine
// (a clone made elsewhere, e.g. `git clone . /tmp/x`, still finds the one beside its origin).
import {spawnSync} from "node:child_process";
import {existsSync} from "node:fs";
import {join, resolve} from "node:path";
import {projectRoot} from "./sdk.js";

export function deviceSysroot(env = process.env, root = projectRoot) {
	if (env.FTPD_DEVICE_SYSROOT)
		return resolve(env.FTPD_DEVICE_SYSROOT);
	const beside = root => join(root, "..", "shared", "device-sysroot");
	const own = resolve(beside(root));
	if (existsSync(own))
		return own;
	const origin = spawnSync("git", ["-C", root, "remote", "get-url", "origin"], {encoding: "utf8"});
	const url = (origin.status === 0) ? origin.stdout.trim() : "";
	// a local path (or file:// URL), not a network remote
	const path = url.startsWith("file://") ? url.slice(7) : url;
	if (path.startsWith("/") && existsSync(resolve(beside(path))))
		return resolve(beside(path));
	return own;
}
