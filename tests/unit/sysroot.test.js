import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {mkdirSync, mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {deviceSysroot} from "../../scripts/sysroot.js";

const git = (...args) => {
	const result = spawnSync("git", args, {encoding: "utf8"});
	expect(result.status, result.stderr).to.equal(0);
};

describe("the device sysroot's place", () => {
	let work;
	beforeEach(() => { work = mkdtempSync(join(tmpdir(), "ftpd-sysroot-")); });
	afterEach(() => rmSync(work, {recursive: true, force: true}));

	it("FTPD_DEVICE_SYSROOT first, else ../shared/device-sysroot beside the project", () => {
		mkdirSync(join(work, "shared", "device-sysroot"), {recursive: true});
		mkdirSync(join(work, "project"));
		expect(deviceSysroot({FTPD_DEVICE_SYSROOT: "/somewhere"}, join(work, "project"))).to.equal("/somewhere");
		expect(deviceSysroot({}, join(work, "project"))).to.equal(join(work, "shared", "device-sysroot"));
	});

	it("a clone made elsewhere finds the one beside the repository it was cloned from", () => {
		mkdirSync(join(work, "home", "shared", "device-sysroot"), {recursive: true});
		const origin = join(work, "home", "project");
		git("init", "-q", origin);
		git("-C", origin, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x");
		const clone = join(work, "elsewhere", "x");
		git("clone", "-q", origin, clone);
		expect(deviceSysroot({}, clone)).to.equal(join(work, "home", "shared", "device-sysroot"));
		// nothing anywhere: the place beside the project, which the scripts then report missing
		rmSync(join(work, "home", "shared"), {recursive: true});
		expect(deviceSysroot({}, clone)).to.equal(join(work, "elsewhere", "shared", "device-sysroot"));
	});
});
