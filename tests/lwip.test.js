/*
 * ftpsock's lwIP backend (modules/ftpsock/ftpsock_lwip.c, the esp32 and esp backend) on Linux,
 * through scripts/check-lwip.js: compiled with -Werror against Debian's lwIP (liblwip-dev) and
 * the SDK's XS headers for both lwIP option sets, then run by the C loopback test in tests/lwip
 * on a real lwIP stack.
 */
import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {join} from "node:path";
import {projectRoot} from "../scripts/sdk.js";

const script = join(projectRoot, "scripts", "check-lwip.js");

// The loopback test's cases (tests/lwip/loopback.c, its run() calls); a change there changes this.
const LOOPBACK_TESTS = 25;

function check(args) {
	const result = spawnSync(process.execPath, [script, ...args], {encoding: "utf8", timeout: 150000});
	return {status: result.status ?? result.signal, output: `${result.stdout}${result.stderr}`};
}

describe("ftpsock on lwIP (check:lwip)", function () {
	this.timeout(180000);

	it("compiles with -Wall -Wextra -Werror against liblwip-dev and the SDK's XS headers: a tcpip thread, and NO_SYS", () => {
		const {status, output} = check(["--compile"]);
		expect(status, output).to.equal(0);
		expect(output).to.match(/^compiled$/m);
	});

	it("passes the loopback test: transfers, flow control both ways, peer check, abort, reset, timeout, close", () => {
		const {status, output} = check([]);
		const failures = output.split("\n").filter(line => line.startsWith("not ok"));
		expect(failures, output).to.deep.equal([]);
		expect(status, output).to.equal(0);
		const summary = /^# (\d+) tests, (\d+) failed$/m.exec(output);
		expect(summary, output).to.not.equal(null);
		expect(Number(summary[2])).to.equal(0);
		expect(Number(summary[1]), "the count of loopback tests changed").to.equal(LOOPBACK_TESTS);
		expect(output.split("\n").filter(line => line.startsWith("ok - ")).length).to.equal(LOOPBACK_TESTS);
	});
});
