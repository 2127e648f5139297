// What building the Moddable SDK's Linux tools and the Linux host needs from the machine, each
// with the Debian package that provides it, so that a missing one is named before a build fails
// half-way with a compiler error.
import {spawnSync} from "node:child_process";
import {accessSync, constants} from "node:fs";
import {join} from "node:path";

/** The executable `name` found on `env.PATH`, or undefined. */
export function which(name, env = process.env) {
	for (const dir of (env.PATH ?? "").split(":")) {
		if (!dir)
			continue;
		const file = join(dir, name);
		try {
			accessSync(file, constants.X_OK);
			return file;
		}
		catch {
			// not in this folder: the next one may have it
		}
	}
	return undefined;
}

/**
 * The prerequisites missing on this machine, each {what, package}: an empty list when all are
 * there. `git`: whether git is needed too (to clone the SDK).
 * @param {object} [o]
 * @param {NodeJS.ProcessEnv} [o.env] the environment the tools will run in (PATH, PKG_CONFIG_*)
 * @param {boolean} [o.git]
 */
export function missingPrerequisites({env = process.env, git = false} = {}) {
	const missing = [];
	// the SDK's makefiles call cc (and gcc for some tools); Debian's gcc package provides both
	if (!which("cc", env) || !which("gcc", env))
		missing.push({what: "a C compiler (cc, gcc)", package: "gcc"});
	if (!which("make", env))
		missing.push({what: "make", package: "make"});
	const pkgConfig = which("pkg-config", env);
	if (!pkgConfig)
		missing.push({what: "pkg-config", package: "pkg-config"});
	// the tools link GIO, the host GLib: both come with libglib2.0-dev
	else if (spawnSync(pkgConfig, ["--exists", "glib-2.0", "gio-2.0"], {env, stdio: "ignore"}).status !== 0)
		missing.push({what: "the GLib development files (pkg-config glib-2.0, gio-2.0)", package: "libglib2.0-dev"});
	if (git && !which("git", env))
		missing.push({what: "git", package: "git"});
	return missing;
}

/** For a non-empty list of missing prerequisites: one line each, and the command that installs them. */
export function describeMissing(missing) {
	const packages = [...new Set(missing.map(m => m.package))];
	return {
		lines: missing.map(m => `missing ${m.what}: Debian package ${m.package}`),
		hint: `sudo apt-get install ${packages.join(" ")}`,
	};
}
