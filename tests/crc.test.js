/*
 * LittleFS's CRC on the Linux host is ours (modules/volume/volumeCrc.c, slicing by 8), not the
 * SDK's (lfs_util.c, a nibble at a time): the same function, compared here over random inputs
 * by a C program built against both.
 */
import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {projectRoot, findSDK} from "../scripts/sdk.js";

describe("volume: lfs_crc of our own matches the SDK's", function () {
	this.timeout(60000);

	it("gives the SDK's results for random lengths, contents, alignments and seeds", function () {
		const sdk = findSDK();
		if (!sdk)
			this.skip();
		const littlefs = join(sdk, "modules", "files", "file", "littlefs");
		const work = mkdtempSync(join(tmpdir(), "ftpd-crc-"));
		try {
			const program = join(work, "compare");
			// each side on its own: -D applies to a whole cc command
			const cc = args => {
				const result = spawnSync("cc", ["-O2", "-Wall", "-Werror", "-I", littlefs, ...args], {encoding: "utf8"});
				expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
			};
			cc(["-c", "-Dlfs_crc=ours_crc", "-o", join(work, "ours.o"), join(projectRoot, "modules", "volume", "volumeCrc.c")]);
			cc(["-c", "-Dlfs_crc=sdk_crc", "-o", join(work, "sdk.o"), join(littlefs, "lfs_util.c")]);
			cc(["-o", program, join(projectRoot, "tests", "crc", "compare.c"), join(work, "ours.o"), join(work, "sdk.o")]);
			const run = spawnSync(program, [], {encoding: "utf8", timeout: 30000});
			expect(run.status, `${run.stdout}${run.stderr}`).to.equal(0);
			expect(run.stdout).to.match(/^ok 20000$/m);
		}
		finally {
			rmSync(work, {recursive: true, force: true});
		}
	});
});
