// Finds the Moddable SDK and builds XS apps with it. Used by every script and by the tests.
// scripts/provision.js installs the SDK when there is none (npm install runs it).
import {existsSync, mkdirSync, readFileSync} from "node:fs";
import {spawn, spawnSync} from "node:child_process";
import {homedir} from "node:os";
import {join, resolve, dirname} from "node:path";
import {fileURLToPath} from "node:url";
import {missingPrerequisites, describeMissing} from "./prerequisites.js";
import {diagnose, progressFilter} from "./build-output.js";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The SDK release this project is tested with: its tag in the SDK's repository, and its tools/VERSION. */
export const PINNED_SDK_VERSION = "8.2.3";

export const installHelp = `The Moddable SDK was not found (with its Linux tools built, at $MODDABLE or ~/.local/share/moddable).
Run \`npm install\` (or \`npm run sdk\`) in the project folder: it installs Moddable SDK ${PINNED_SDK_VERSION} into
$MODDABLE, or ~/.local/share/moddable when MODDABLE is not set, and builds its Linux tools (a few minutes).`;

/** ~/.local/share/moddable, of the HOME of `env` */
function userSDK(env) {
	return join(env.HOME || homedir(), ".local", "share", "moddable");
}

/** The folder where an SDK is looked for first, and installed when there is none. */
export function sdkHome(env = process.env) {
	return resolve(env.MODDABLE || userSDK(env));
}

/** Whether `dir` holds an SDK with its Linux tools built. */
export function hasTools(dir) {
	return existsSync(join(dir, "build", "bin", "lin", "release", "mcconfig"));
}

/** The SDK folder, or undefined when there is no SDK with built Linux tools. */
export function findSDK(env = process.env) {
	const candidates = [env.MODDABLE, userSDK(env)].filter(Boolean);
	for (const dir of candidates) {
		if (hasTools(dir))
			return resolve(dir);
	}
	return undefined;
}

/** The SDK's release (its tools/VERSION), or undefined when it does not say. */
export function sdkVersion(dir) {
	try {
		return readFileSync(join(dir, "tools", "VERSION"), "utf8").trim() || undefined;
	}
	catch {
		return undefined;		// SDKs before 4.x have no VERSION file
	}
}

/** The one warning line for an SDK of another release than the pinned one, or undefined. */
export function versionWarning(dir) {
	const version = sdkVersion(dir);
	if (version === PINNED_SDK_VERSION)
		return undefined;
	return `warning: the Moddable SDK at ${dir} is ${version ? "version " + version : "of an unknown version"}; moddable-ftpd is tested with ${PINNED_SDK_VERSION} (building anyway)`;
}

let warned = false;

/** The SDK folder; exits with the install message when there is none. Warns once about another version. */
export function requireSDK() {
	const sdk = findSDK();
	if (!sdk) {
		console.error(installHelp);
		process.exit(1);
	}
	const warning = versionWarning(sdk);
	if (warning && !warned)
		console.error(warning);
	warned = true;
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

/** A failed build: `message` is its cause; `hint` what to do, `detail` the lines that show it. */
export class BuildError extends Error {
	constructor({cause, hint, detail = []}) {
		super(cause);
		this.hint = hint;
		this.detail = detail;
	}

	/** The text for a person: the cause, the lines that show it, the hint. No stack trace. */
	describe() {
		return [`build failed: ${this.message}`, ...this.detail.filter(line => !this.message.endsWith(line)).map(line => "  " + line),
			...(this.hint ? [`  hint: ${this.hint}`] : [])].join("\n");
	}
}

/** The SDK, and mcconfig's command for a build; throws a BuildError for a missing prerequisite. */
function prepare({manifest, name, kind, extra}) {
	const sdk = requireSDK();
	const env = sdkEnv(sdk);
	const missing = missingPrerequisites({env});
	if (missing.length) {
		const {lines, hint} = describeMissing(missing);
		throw new BuildError({cause: lines.join("; "), hint, detail: []});
	}
	const out = join(projectRoot, "build", name);
	mkdirSync(out, {recursive: true});
	const flags = {release: [], debug: ["-d"], instrument: ["-i"]}[kind];
	return {
		command: join(sdk, "build", "bin", "lin", "release", "mcconfig"),
		args: [...flags, "-m", "-p", "x-cli-lin", "-o", out, manifest, ...extra],
		options: {cwd: dirname(manifest), env},
		binary: join(out, "bin", "lin", kind, name),
	};
}

/**
 * Builds an app for the Linux host; returns the executable's path. Throws a BuildError.
 * @param {object} o
 * @param {string} [o.manifest] the app's manifest (default: the project's)
 * @param {string} [o.name] the manifest's build NAME, also its build folder under build/
 * @param {"release"|"debug"|"instrument"} [o.kind]
 * @param {string[]} [o.extra] more mcconfig arguments (e.g. "ftpd/port=2121")
 * @param {boolean} [o.quiet] mcconfig's output only when it fails (on stderr)
 */
export function buildHost({manifest = join(projectRoot, "manifest.json"), name = "ftpd", kind = "release", extra = [], quiet = false} = {}) {
	const {command, args, options, binary} = prepare({manifest, name, kind, extra});
	const result = spawnSync(command, args, {...options, encoding: "utf8", stdio: quiet ? "pipe" : "inherit", maxBuffer: 64 * 1024 * 1024});
	if (result.status !== 0) {
		const output = (result.stdout ?? "") + (result.stderr ?? "");
		if (quiet)
			process.stderr.write(output);
		throw new BuildError(result.error ? diagnose(`spawn ${command} ${result.error.code}`) : diagnose(output));
	}
	return binary;
}

/**
 * The same, printing one line per phase through `emit` (nothing when all is built already).
 * Resolves with the executable's path; rejects with a BuildError.
 * @param {Parameters<typeof buildHost>[0]} o
 * @param {(line: string) => void} emit
 */
export async function buildHostWithProgress(o = {}, emit = line => console.error(line)) {
	const {manifest = join(projectRoot, "manifest.json"), name = "ftpd", kind = "release", extra = []} = o;
	const {command, args, options, binary} = prepare({manifest, name, kind, extra});
	const started = Date.now();
	const filter = progressFilter(phase => {
		if (!filter.started)
			emit(`building the Linux host (${kind}; a first build takes about 2 minutes)`);
		emit(`  ${phase}`);
	});
	const child = spawn(command, args, {...options, stdio: ["ignore", "pipe", "pipe"]});
	let output = "", pending = "";
	const take = text => {
		output += text;
		pending += text;
		const lines = pending.split("\n");
		pending = lines.pop();
		lines.forEach(filter);
	};
	child.stdout.setEncoding("utf8").on("data", take);
	child.stderr.setEncoding("utf8").on("data", take);
	const status = await new Promise(resolve => {
		child.on("error", error => resolve(error));
		child.on("close", code => resolve(code));
	});
	if (status instanceof Error)
		throw new BuildError(diagnose(`spawn ${command} ${status.code}`));
	if (status !== 0)
		throw new BuildError(diagnose(output));
	if (filter.started)
		emit(`built in ${formatDuration(Date.now() - started)}: ${binary}`);
	return binary;
}

/** "1 min 54 s", "12 s" */
export function formatDuration(ms) {
	const s = Math.round(ms / 1000);
	return (s >= 60) ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
