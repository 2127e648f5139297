// The SDK scripts' pieces that need no SDK: the prerequisite check (against a PATH of stand-in
// tools this test writes), the warning for another SDK release, MODDABLE_REPO, and the reading
// of a build's output (progress, and a failure's cause and hint).
import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {missingPrerequisites, describeMissing} from "../../scripts/prerequisites.js";
import {versionWarning, sdkVersion, findSDK, sdkHome, PINNED_SDK_VERSION} from "../../scripts/sdk.js";
import {repositoryURL, UPSTREAM} from "../../scripts/provision.js";
import {phaseOf, progressFilter, diagnose} from "../../scripts/build-output.js";

describe("SDK prerequisites", () => {
	let dir;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "ftpd-prereq-"));
	});
	afterEach(() => rmSync(dir, {recursive: true, force: true}));

	/** A PATH of one folder with these tools; pkg-config knows the packages in `pc`. */
	function tools(names, pc = ["glib-2.0", "gio-2.0"]) {
		for (const name of names) {
			const script = (name === "pkg-config")
				// --exists A B: true when each is known
				? `#!/bin/sh\n[ "$1" = --exists ] || exit 2\nshift\nfor p in "$@"; do case " ${pc.join(" ")} " in *" $p "*) ;; *) exit 1;; esac; done\n`
				: "#!/bin/sh\nexit 0\n";
			writeFileSync(join(dir, name), script);
			chmodSync(join(dir, name), 0o755);
		}
		return {PATH: dir};
	}

	it("finds nothing missing when all are there", () => {
		expect(missingPrerequisites({env: tools(["cc", "gcc", "make", "pkg-config", "git"]), git: true})).to.deep.equal([]);
	});
	it("names the Debian package of each one missing", () => {
		const missing = missingPrerequisites({env: tools(["pkg-config"]), git: true});
		expect(missing.map(m => m.package)).to.deep.equal(["gcc", "make", "git"]);
		const {lines, hint} = describeMissing(missing);
		expect(lines[0]).to.equal("missing a C compiler (cc, gcc): Debian package gcc");
		expect(hint).to.equal("sudo apt-get install gcc make git");
	});
	it("asks for git only when it clones", () => {
		expect(missingPrerequisites({env: tools(["cc", "gcc", "make", "pkg-config"])})).to.deep.equal([]);
	});
	it("sees GLib's development files missing through pkg-config: libglib2.0-dev", () => {
		const missing = missingPrerequisites({env: tools(["cc", "gcc", "make", "pkg-config"], ["glib-2.0"])});
		expect(missing).to.deep.equal([{what: "the GLib development files (pkg-config glib-2.0, gio-2.0)", package: "libglib2.0-dev"}]);
	});
	it("without pkg-config: pkg-config", () => {
		const missing = missingPrerequisites({env: tools(["cc", "gcc", "make"])});
		expect(missing.map(m => m.package)).to.deep.equal(["pkg-config"]);
	});
});

describe("SDK release", () => {
	let dir;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "ftpd-sdkversion-"));
		mkdirSync(join(dir, "tools"));
	});
	afterEach(() => rmSync(dir, {recursive: true, force: true}));

	it("says nothing for the pinned release", () => {
		writeFileSync(join(dir, "tools", "VERSION"), PINNED_SDK_VERSION + "\n");
		expect(sdkVersion(dir)).to.equal(PINNED_SDK_VERSION);
		expect(versionWarning(dir)).to.equal(undefined);
	});
	it("warns in one line for another release, and builds anyway", () => {
		writeFileSync(join(dir, "tools", "VERSION"), "7.1.0\n");
		const warning = versionWarning(dir);
		expect(warning.split("\n")).to.have.length(1);
		expect(warning).to.equal(`warning: the Moddable SDK at ${dir} is version 7.1.0; moddable-ftpd is tested with ${PINNED_SDK_VERSION} (building anyway)`);
	});
	it("warns for an SDK that does not say its release", () => {
		expect(sdkVersion(dir)).to.equal(undefined);
		expect(versionWarning(dir)).to.match(/is of an unknown version; moddable-ftpd is tested with/);
	});
	it("is looked for at MODDABLE, then in HOME's .local/share/moddable, and installed at the first", () => {
		const home = join(dir, "home");
		expect(findSDK({HOME: home})).to.equal(undefined);
		expect(sdkHome({HOME: home})).to.equal(join(home, ".local", "share", "moddable"));
		expect(sdkHome({HOME: home, MODDABLE: join(dir, "sdk")})).to.equal(join(dir, "sdk"));
		const tools = join(home, ".local", "share", "moddable", "build", "bin", "lin", "release");
		mkdirSync(tools, {recursive: true});
		writeFileSync(join(tools, "mcconfig"), "");
		expect(findSDK({HOME: home, MODDABLE: join(dir, "none")})).to.equal(join(home, ".local", "share", "moddable"));
	});
	it("comes from MODDABLE_REPO when set; a local folder as a file:// URL (which a shallow clone needs)", () => {
		expect(repositoryURL({})).to.equal(UPSTREAM);
		expect(repositoryURL({MODDABLE_REPO: "/srv/moddable"})).to.equal("file:///srv/moddable");
		expect(repositoryURL({MODDABLE_REPO: "https://example.com/m.git"})).to.equal("https://example.com/m.git");
		expect(repositoryURL({MODDABLE_REPO: "git@example.com:m.git"})).to.equal("git@example.com:m.git");
	});
});

describe("build output for a person", () => {
	it("one line per phase, once each, in the order they start", () => {
		const shown = [];
		const filter = progressFilter(line => shown.push(line));
		for (const line of ["# cc xsAll.c", "# cc xsAPI.c", "# xsc timer.xsb", "# tsc file.ts", "# cc main.c.o", "### warning: x", "# xsid a.c.xsi", "# xsl modules", "# cc ftpd"])
			filter(line);
		expect(shown).to.deep.equal([
			"compiling C (the XS engine, the host, the native modules)", "compiling JavaScript to XS bytecode", "compiling TypeScript",
			"collecting the native functions' names", "linking the XS image", "linking the executable",
		]);
		expect(filter.started).to.equal(true);
		expect(phaseOf("ftpd: hello")).to.equal(undefined);
	});
	it("missing GLib headers: the cause, and apt-get install libglib2.0-dev", () => {
		const output = "# cc main.c.o\n/p/hosts/lin/main.c:12:10: fatal error: glib-unix.h: No such file or directory\n   12 | #include <glib-unix.h>\ncompilation terminated.\nmake: *** [makefile:200: main.c.o] Error 1\n";
		const d = diagnose(output);
		expect(d.cause).to.equal("the GLib development headers are missing (glib.h not found)");
		expect(d.hint).to.match(/apt-get install libglib2\.0-dev/);
		expect(d.detail).to.deep.equal(["/p/hosts/lin/main.c:12:10: fatal error: glib-unix.h: No such file or directory"]);
	});
	it("pkg-config without GLib's .pc file: the same", () => {
		expect(diagnose("Package glib-2.0 was not found in the pkg-config search path.\n").hint).to.match(/libglib2\.0-dev/);
	});
	it("a TypeScript error: its file and line", () => {
		const d = diagnose("# tsc session.ts\nmodules/session/session.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.\nmake: *** Error 2\n");
		expect(d.cause).to.equal("TypeScript error: modules/session/session.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.");
	});
	it("a C error: the compiler's line", () => {
		const d = diagnose("# cc volume.c.o\n/p/volume.c:3:1: error: expected ';' before '}' token\nmake: *** Error 1\n");
		expect(d.cause).to.equal("C compile error: /p/volume.c:3:1: error: expected ';' before '}' token");
	});
	it("no tsc or no compiler: what to install", () => {
		expect(diagnose("/bin/sh: 1: tsc: not found\n").hint).to.equal("run npm install in the project folder");
		expect(diagnose("make: cc: No such file or directory\n/bin/sh: 1: cc: not found\n").hint).to.match(/apt-get install gcc/);
		expect(diagnose("spawn make ENOENT").hint).to.match(/apt-get install make/);
	});
	it("anything else: its last lines, never a stack trace of ours", () => {
		const d = diagnose("# cc a.c\nsomething odd\nmake: *** [x] Killed\n");
		expect(d.cause).to.equal("the build failed");
		expect(d.detail).to.deep.equal(["something odd", "make: *** [x] Killed"]);
	});
});

describe("npm run sdk (scripts/provision.js), without installing anything", () => {
	const script = new URL("../../scripts/provision.js", import.meta.url).pathname;
	let dir;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "ftpd-provision-unit-"));
	});
	afterEach(() => rmSync(dir, {recursive: true, force: true}));

	function provision(env) {
		const result = spawnSync(process.execPath, [script], {env, encoding: "utf8"});
		return {status: result.status, stdout: result.stdout, stderr: result.stderr};
	}

	it("an SDK of another release: found, used, and one warning line", () => {
		const sdk = join(dir, "sdk");
		mkdirSync(join(sdk, "build", "bin", "lin", "release"), {recursive: true});
		mkdirSync(join(sdk, "tools"));
		writeFileSync(join(sdk, "build", "bin", "lin", "release", "mcconfig"), "");
		writeFileSync(join(sdk, "tools", "VERSION"), "8.0.1\n");
		const {status, stdout, stderr} = provision({PATH: process.env.PATH, HOME: join(dir, "home"), MODDABLE: sdk});
		expect(status).to.equal(0);
		expect(stdout).to.equal(`moddable-ftpd: Moddable SDK 8.0.1 at ${sdk}\n`);
		expect(stderr).to.equal(`moddable-ftpd: warning: the Moddable SDK at ${sdk} is version 8.0.1; moddable-ftpd is tested with ${PINNED_SDK_VERSION} (building anyway)\n`);
	});

	it("no SDK and no make: names what is missing and its package, clones nothing, no stack trace", () => {
		const bin = join(dir, "bin");
		mkdirSync(bin);
		for (const name of ["cc", "gcc", "git"]) {
			writeFileSync(join(bin, name), "#!/bin/sh\nexit 0\n");
			chmodSync(join(bin, name), 0o755);
		}
		const home = join(dir, "home");
		const {status, stdout, stderr} = provision({PATH: bin, HOME: home, MODDABLE_REPO: join(dir, "nowhere")});
		expect(status).to.equal(1);
		expect(stdout).to.include(`no Moddable SDK found: installing release ${PINNED_SDK_VERSION} into ${join(home, ".local", "share", "moddable")}`);
		expect(stdout).to.include("[1/6] checking prerequisites");
		expect(stdout).to.not.include("[2/6]");
		expect(stderr).to.equal([
			"moddable-ftpd: cannot install the Moddable SDK: prerequisites missing",
			"  missing make: Debian package make",
			"  missing pkg-config: Debian package pkg-config",
			"  hint: sudo apt-get install make pkg-config",
			""].join("\n"));
	});

	it("a MODDABLE folder that is not an SDK is not installed into", () => {
		const other = join(dir, "stuff");
		mkdirSync(other);
		writeFileSync(join(other, "mine.txt"), "mine");
		const {status, stderr} = provision({PATH: process.env.PATH, HOME: join(dir, "home"), MODDABLE: other});
		expect(status).to.equal(1);
		expect(stderr).to.match(new RegExp(`^moddable-ftpd: cannot install the Moddable SDK: ${other} exists and is not a Moddable SDK\n  hint: remove it, or set MODDABLE`));
	});
});

describe("npm start without --", () => {
	it("says that npm took the server's flags and how to pass them, before building anything", () => {
		const script = new URL("../../scripts/start.js", import.meta.url).pathname;
		// what `npm start --port 2200 --verbose 2` hands the script: npm's --port flag on, "2200" as an argument
		const result = spawnSync(process.execPath, [script, "2200"], {env: {PATH: process.env.PATH, HOME: "/nonexistent", npm_config_port: "true"}, encoding: "utf8"});
		expect(result.status).to.equal(2);
		expect(result.stdout).to.equal("");
		expect(result.stderr).to.equal("ftpd: npm took --port for itself: the server's flags go after --, as in: npm start -- --port 2200\n");
	});
});
