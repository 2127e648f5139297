// npm install (postinstall) and npm run sdk: makes sure a Moddable SDK with its Linux tools is
// there, and installs the pinned release when none is: a shallow clone of the SDK's repository
// at its release tag with only the folders the Linux tools and this project's builds use, then
// a build of the Linux command-line tools only (xsc, xsid, xsl, then mcconfig and the other tools
// of tools.mk; no GTK simulator, no xsbug). One progress line per step.
//
// Where: $MODDABLE when set, else ~/.local/share/moddable (where the scripts look for it).
// MODDABLE_REPO (a git URL or a local path) replaces the SDK's upstream repository.
// FTPD_SKIP_XS=1 skips it all (for a machine that runs only the Node tier).
import {spawn} from "node:child_process";
import {existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, createWriteStream, readFileSync} from "node:fs";
import {availableParallelism} from "node:os";
import {dirname, join, resolve} from "node:path";
import {pathToFileURL} from "node:url";
import {PINNED_SDK_VERSION, findSDK, sdkHome, hasTools, sdkVersion, versionWarning, formatDuration} from "./sdk.js";
import {missingPrerequisites, describeMissing} from "./prerequisites.js";
import {diagnose} from "./build-output.js";

export const UPSTREAM = "https://github.com/Moddable-OpenSource/moddable.git";

/** What of the SDK's repository is checked out (git's sparse-checkout patterns). */
export const SPARSE = Object.freeze([
	"/build/", "/modules/", "/tools/", "/xs/", "/typings/", "/licenses/", "/examples/manifest*.json",
]);

/** MODDABLE_REPO as git takes it: a local folder becomes a file:// URL, which --depth needs. */
export function repositoryURL(env = process.env) {
	const repo = env.MODDABLE_REPO || UPSTREAM;
	if (/^[\w+.-]+:\/\//.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo))
		return repo;
	return pathToFileURL(resolve(repo)).href;
}

class StepError extends Error {
	constructor(cause, hint, detail = []) {
		super(cause);
		this.hint = hint;
		this.detail = detail;
	}
}

const say = line => console.log(`moddable-ftpd: ${line}`);

/** Runs `command`, its output appended to `log`; throws a StepError with the diagnosed cause. */
async function run(command, args, {cwd, env, log}) {
	const out = createWriteStream(log, {flags: "a"});
	out.write(`\n$ ${command} ${args.join(" ")}\n`);
	const child = spawn(command, args, {cwd, env, stdio: ["ignore", "pipe", "pipe"]});
	child.stdout.pipe(out, {end: false});
	child.stderr.pipe(out, {end: false});
	const status = await new Promise(resolve => {
		child.on("error", error => resolve(error));
		child.on("close", code => resolve(code));
	});
	await new Promise(resolve => out.end(resolve));
	if (status === 0)
		return;
	const text = (status instanceof Error) ? `spawn ${command} ${status.code}` : readFileSync(log, "utf8");
	const {cause, hint, detail} = diagnose(text);
	throw new StepError(`${command} ${args.join(" ")} failed: ${cause}`, hint, [...detail, `full output: ${log}`]);
}

/** Clones the pinned release into `target` (through a temporary folder beside it). */
async function clone(target, env, log) {
	const url = repositoryURL(env);
	const partial = `${target}.download`;
	rmSync(partial, {recursive: true, force: true});
	mkdirSync(dirname(target), {recursive: true});
	const git = (args, cwd) => run("git", args, {cwd, env: {...env, GIT_TERMINAL_PROMPT: "0"}, log});
	// blob:none: only the checked-out folders' files are downloaded (a server that does not
	// filter sends them all: still one commit)
	await git(["clone", "--quiet", "--depth", "1", "--branch", PINNED_SDK_VERSION, "--filter=blob:none", "--no-checkout", url, partial], dirname(target));
	await git(["config", "core.sparseCheckout", "true"], partial);
	writeFileSync(join(partial, ".git", "info", "sparse-checkout"), SPARSE.join("\n") + "\n");
	await git(["-c", "advice.detachedHead=false", "checkout", "--quiet", PINNED_SDK_VERSION], partial);
	// the SDK is a build input, not a working copy: its history would only double its size
	rmSync(join(partial, ".git"), {recursive: true, force: true});
	renameSync(partial, target);
}

/** The four makes of the Linux tools, as the SDK's Linux guide runs them minus GTK and xsbug. */
function toolBuilds(sdk) {
	const xsMakefiles = join(sdk, "xs", "makefiles", "lin");
	return [
		{title: "building xsc (the XS compiler)", file: join(xsMakefiles, "xsc.mk")},
		{title: "building xsid", file: join(xsMakefiles, "xsid.mk")},
		{title: "building xsl (the XS linker)", file: join(xsMakefiles, "xsl.mk")},
		{title: "building mcconfig and the SDK's other tools (the longest step)", file: "tools.mk"},
	];
}

/**
 * Makes sure an SDK with Linux tools is there; installs or builds it when not.
 * @returns {Promise<string>} the SDK folder
 */
export async function provision(env = process.env) {
	const found = findSDK(env);
	if (found) {
		say(`Moddable SDK ${sdkVersion(found) ?? "(unknown version)"} at ${found}`);
		const warning = versionWarning(found);
		if (warning)
			console.error(`moddable-ftpd: ${warning}`);
		return found;
	}

	const target = sdkHome(env);
	const isSource = existsSync(join(target, "xs", "makefiles", "lin", "xsc.mk"));
	if (!isSource && existsSync(target) && readdirSync(target).length)
		throw new StepError(`${target} exists and is not a Moddable SDK`, `remove it, or set MODDABLE to the folder of an SDK (or to an empty folder to install one there)`);
	const steps = 1 + (isSource ? 0 : 1) + 4;
	let step = 0;
	const started = Date.now();
	const progress = text => say(`[${++step}/${steps}] ${text}`);
	say(isSource
		? `the Moddable SDK at ${target} has no Linux tools built: building them (a few minutes)`
		: `no Moddable SDK found: installing release ${PINNED_SDK_VERSION} into ${target} (a few minutes)`);

	progress("checking prerequisites: a C compiler, make, pkg-config with GLib" + (isSource ? "" : ", git"));
	const missing = missingPrerequisites({env, git: !isSource});
	if (missing.length) {
		const {lines, hint} = describeMissing(missing);
		throw new StepError("prerequisites missing", hint, lines);
	}

	const logDir = isSource ? join(target, "build") : dirname(target);
	mkdirSync(logDir, {recursive: true});
	const log = join(logDir, isSource ? "moddable-ftpd-tools.log" : "moddable-sdk-install.log");
	writeFileSync(log, "");
	if (!isSource) {
		progress(`cloning ${repositoryURL(env)} at ${PINNED_SDK_VERSION} (only build, modules, tools, xs, typings, licenses and the examples' manifests)`);
		await clone(target, env, log);
	}

	const buildEnv = {...env, MODDABLE: target, XS_DIR: join(target, "xs"), BUILD_DIR: join(target, "build")};
	const jobs = String(Math.max(1, availableParallelism()));
	for (const {title, file} of toolBuilds(target)) {
		progress(title);
		await run("make", ["-j", jobs, "GOAL=release", "-f", file], {cwd: join(target, "build", "makefiles", "lin"), env: buildEnv, log});
	}
	if (!hasTools(target))
		throw new StepError(`the tools were built but ${join(target, "build", "bin", "lin", "release", "mcconfig")} is missing`, undefined, [`full output: ${log}`]);
	rmSync(log, {force: true});		// kept only when a step failed: the message names it
	say(`Moddable SDK ${sdkVersion(target) ?? PINNED_SDK_VERSION} ready in ${target} (${formatDuration(Date.now() - started)})`);
	const warning = versionWarning(target);
	if (warning)
		console.error(`moddable-ftpd: ${warning}`);
	return target;
}

/** The command line: exits 1 with the cause and a hint (never a stack trace) when it fails. */
async function main() {
	if (process.env.FTPD_SKIP_XS === "1") {
		say("FTPD_SKIP_XS=1: the Moddable SDK is not checked nor installed");
		return;
	}
	try {
		await provision();
	}
	catch (error) {
		if (!(error instanceof StepError))
			throw error;
		console.error(`moddable-ftpd: cannot install the Moddable SDK: ${error.message}`);
		for (const line of error.detail)
			console.error(`  ${line}`);
		if (error.hint)
			console.error(`  hint: ${error.hint}`);
		process.exit(1);
	}
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
	await main();
