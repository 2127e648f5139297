/*
 * A new user's machine, without the network: no Moddable SDK (a fresh HOME, no MODDABLE), a fresh
 * copy of this project, and MODDABLE_REPO pointing at a local git repository that this test makes
 * from the SDK already on the machine (its folders committed and tagged with the pinned release).
 * `npm install` must install the SDK into the fresh HOME and build its tools, printing its steps;
 * `npm start -- --port P` must then build the host, printing its phases, and reach the ready line.
 * The SDK the other tests use is only read (copied from).
 *
 * It takes minutes: the SDK's tools and the host are built from scratch.
 */
import {expect} from "chai";
import {spawn, spawnSync} from "node:child_process";
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync} from "node:fs";
import {createServer, connect} from "node:net";
import {once} from "node:events";
import {tmpdir} from "node:os";
import {dirname, join, relative, sep} from "node:path";
import {projectRoot, findSDK, sdkHome, PINNED_SDK_VERSION} from "../scripts/sdk.js";

/** Runs `command` to its end; resolves with its output and status. */
function run(command, args, options) {
	const child = spawn(command, args, {...options, stdio: ["ignore", "pipe", "pipe"]});
	let stdout = "", stderr = "";
	child.stdout.setEncoding("utf8").on("data", text => stdout += text);
	child.stderr.setEncoding("utf8").on("data", text => stderr += text);
	return once(child, "close").then(([status]) => ({status, stdout, stderr}));
}

function git(cwd, ...args) {
	const result = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@localhost", ...args], {cwd, encoding: "utf8"});
	if (result.status !== 0)
		throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
	return result.stdout;
}

async function freePort() {
	const server = createServer().listen(0, "127.0.0.1");
	await once(server, "listening");
	const {port} = server.address();
	server.close();
	await once(server, "close");
	return port;
}

describe("a fresh machine: npm install provisions the SDK, npm start reaches the ready line", function () {
	this.timeout(1800000);
	let tmp, home, project, sdkRepo, env, realSDK, realTools;

	before(async function () {
		realSDK = findSDK();
		realTools = join(realSDK, "build", "bin", "lin", "release", "mcconfig");
		tmp = mkdtempSync(join(tmpdir(), "ftpd-provision-"));
		home = join(tmp, "home");
		project = join(tmp, "project");
		sdkRepo = join(tmp, "moddable.git");
		mkdirSync(home);

		// the SDK's repository at the pinned tag, from the SDK's folders here (not its build output)
		for (const folder of ["build", "modules", "tools", "xs", "typings", "licenses", "examples"]) {
			cpSync(join(realSDK, folder), join(sdkRepo, folder), {
				recursive: true, verbatimSymlinks: true,
				filter: source => !["bin", "tmp"].map(f => join(realSDK, "build", f)).some(out => (source === out) || source.startsWith(out + sep)),
			});
		}
		git(sdkRepo, "init", "--quiet");
		git(sdkRepo, "add", "--all");
		git(sdkRepo, "commit", "--quiet", "--message", "the SDK's folders");
		git(sdkRepo, "tag", PINNED_SDK_VERSION);
		// as GitHub does: the clone may then leave out the folders it does not check out
		git(sdkRepo, "config", "uploadpack.allowFilter", "true");

		// this project as a clone has it: its files (committed or not, not ignored), no node_modules, no build
		const files = git(projectRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0").filter(Boolean);
		for (const file of files) {
			if (!existsSync(join(projectRoot, file)))
				continue;		// deleted, not yet committed
			mkdirSync(dirname(join(project, file)), {recursive: true});
			cpSync(join(projectRoot, file), join(project, file), {verbatimSymlinks: true});
		}

		// no SDK to be found, no npm settings of the run that started this test; the packages come
		// from npm's cache (--offline: no network), which `npm ci` filled
		const npmCache = spawnSync("npm", ["config", "get", "cache"], {encoding: "utf8"}).stdout.trim();
		env = Object.fromEntries(Object.entries(process.env).filter(([key]) =>
			!key.startsWith("npm_") && !key.startsWith("FTPD_") && !["MODDABLE", "MODDABLE_REPO", "INIT_CWD"].includes(key)));
		Object.assign(env, {HOME: home, MODDABLE_REPO: sdkRepo, npm_config_cache: npmCache});
		// whatever happens, the install goes into the fresh HOME
		expect(sdkHome(env)).to.equal(join(home, ".local", "share", "moddable"));
		expect(relative(tmp, sdkHome(env)).startsWith("..")).to.equal(false);
	});

	after(function () {
		if (tmp)
			rmSync(tmp, {recursive: true, force: true});
	});

	it("npm install installs the pinned SDK from MODDABLE_REPO into the fresh HOME, one line per step", async function () {
		const realBefore = statSync(realTools).mtimeMs;
		const {status, stdout, stderr} = await run("npm", ["install", "--offline", "--no-audit", "--no-fund"], {cwd: project, env});
		expect(status, stdout + stderr).to.equal(0);
		const installed = join(home, ".local", "share", "moddable");
		expect(stdout).to.include(`no Moddable SDK found: installing release ${PINNED_SDK_VERSION} into ${installed}`);
		expect(stdout).to.match(/\[1\/6\] checking prerequisites/);
		expect(stdout).to.include(`[2/6] cloning file://${sdkRepo} at ${PINNED_SDK_VERSION}`);
		for (const [n, tool] of [[3, "xsc"], [4, "xsid"], [5, "xsl"], [6, "mcconfig"]])
			expect(stdout).to.match(new RegExp(`\\[${n}/6\\] building ${tool}`));
		expect(stdout).to.include(`Moddable SDK ${PINNED_SDK_VERSION} ready in ${installed}`);
		expect(stdout + stderr).to.not.match(/warning: the Moddable SDK/);
		for (const tool of ["mcconfig", "xsc", "xsid", "xsl"])
			expect(existsSync(join(installed, "build", "bin", "lin", "release", tool)), tool).to.equal(true);
		// only the folders needed: the examples' manifests, not the examples
		expect(existsSync(join(installed, "examples", "manifest_base.json"))).to.equal(true);
		expect(existsSync(join(installed, ".git"))).to.equal(false);
		// the machine's SDK was not rebuilt
		expect(statSync(realTools).mtimeMs).to.equal(realBefore);

		// a second install finds it and says so in one line
		const again = await run("npm", ["install", "--offline", "--no-audit", "--no-fund"], {cwd: project, env});
		expect(again.status, again.stdout + again.stderr).to.equal(0);
		expect(again.stdout).to.include(`moddable-ftpd: Moddable SDK ${PINNED_SDK_VERSION} at ${installed}\n`);
		expect(again.stdout).to.not.include("installing");
	});

	it("npm start -- --port P builds the host with it, printing its phases, and reaches the one ready line", async function () {
		const port = await freePort();
		// its own process group, so that npm, the script and the host all end with the test
		const child = spawn("npm", ["start", "--", "--port", String(port), "--image", join(tmp, "ftpd.lfs")], {cwd: project, env, detached: true, stdio: ["ignore", "pipe", "pipe"]});
		let stdout = "", stderr = "";
		child.stdout.setEncoding("utf8").on("data", text => stdout += text);
		child.stderr.setEncoding("utf8").on("data", text => stderr += text);
		const exited = once(child, "exit");
		try {
			const ready = `ftpd: listening on ftp://127.0.0.1:${port}/\n`;
			await Promise.race([
				new Promise(resolve => child.stdout.on("data", () => stdout.includes(ready) && resolve())),
				exited.then(([code]) => { throw new Error(`npm start exited (${code}) before the ready line:\n${stdout}\n${stderr}`); }),
			]);
			expect(stderr, stderr).to.include("ftpd: building the Linux host");
			expect(stderr).to.include("compiling C");
			expect(stderr).to.include("compiling TypeScript");
			expect(stderr).to.match(/ftpd: built in \d+/);
			expect(stderr).to.include(join(project, "build", "ftpd"));
			// the host's stdout is its ready line alone (npm's own banner is the rest)
			expect(stdout.split("\n").filter(line => line.startsWith("ftpd:"))).to.deep.equal([ready.trim()]);
			// and it serves
			const socket = connect(port, "127.0.0.1");
			const [greeting] = await once(socket.setEncoding("utf8"), "data");
			socket.destroy();
			expect(greeting).to.match(/^220 /);
		}
		finally {
			if (child.exitCode === null)
				process.kill(-child.pid, "SIGTERM");
			await exited;
		}
	});
});
