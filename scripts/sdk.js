// Finds the Moddable SDK and builds XS apps with it. Used by every script and by the tests.
import {existsSync, mkdirSync} from "node:fs";
import {spawnSync} from "node:child_process";
import {homedir} from "node:os";
import {join, resolve, dirname} from "node:path";
import {fileURLToPath} from "node:url";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const installHelp = `The Moddable SDK was not found.
moddable-ftpd builds with the Moddable SDK's Linux tools (mcconfig, xsc, xsl). Install them, then try again:
  - follow the SDK's Getting Started guide for Linux (documentation/Moddable SDK - Getting Started.md,
    "Linux" section; only libglib2.0-dev is needed here, the GTK simulator and xsbug are not), or
  - run \`xs-dev setup\` (npm package xs-dev), which installs it in ~/.local/share/moddable.
Then set MODDABLE to the SDK folder, or leave it at ~/.local/share/moddable where it is found without MODDABLE.`;

/** The SDK folder, or undefined when there is no SDK with built Linux tools. */
export function findSDK() {
	const candidates = [process.env.MODDABLE, join(homedir(), ".local", "share", "moddable")].filter(Boolean);
	for (const dir of candidates) {
		if (existsSync(join(dir, "build", "bin", "lin", "release", "mcconfig")))
			return resolve(dir);
	}
	return undefined;
}

/** The SDK folder; exits with the install message when there is none. */
export function requireSDK() {
	const sdk = findSDK();
	if (!sdk) {
		console.error(installHelp);
		process.exit(1);
	}
	return sdk;
}

/** Environment for mcconfig: MODDABLE, the SDK tools and the project's tsc on PATH. */
export function sdkEnv(sdk) {
	return {
		...process.env,
		MODDABLE: sdk,
		PATH: [join(sdk, "build", "bin", "lin", "release"), join(projectRoot, "node_modules", ".bin"), process.env.PATH].join(":"),
	};
}

/**
 * Builds an app for the Linux host; returns the executable's path.
 * @param {object} o
 * @param {string} [o.manifest] the app's manifest (default: the project's)
 * @param {string} [o.name] the manifest's build NAME, also its build folder under build/
 * @param {"release"|"debug"|"instrument"} [o.kind]
 * @param {string[]} [o.extra] more mcconfig arguments (e.g. "ftpd/port=2121")
 * @param {boolean} [o.quiet]
 */
export function buildHost({manifest = join(projectRoot, "manifest.json"), name = "ftpd", kind = "release", extra = [], quiet = false} = {}) {
	const sdk = requireSDK();
	const out = join(projectRoot, "build", name);
	mkdirSync(out, {recursive: true});
	const flags = {release: [], debug: ["-d"], instrument: ["-i"]}[kind];
	const args = [...flags, "-m", "-p", "x-cli-lin", "-o", out, manifest, ...extra];
	const result = spawnSync(join(sdk, "build", "bin", "lin", "release", "mcconfig"), args, {
		cwd: dirname(manifest), env: sdkEnv(sdk), encoding: "utf8", stdio: quiet ? "pipe" : "inherit",
	});
	if (result.status !== 0) {
		if (quiet)
			process.stderr.write((result.stdout ?? "") + (result.stderr ?? ""));
		throw new Error(`mcconfig failed (${result.status ?? result.signal}) for ${manifest}`);
	}
	return join(out, "bin", "lin", kind, name);
}
