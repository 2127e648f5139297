// rclone, with an on-the-fly remote (`:ftp,host=...,pass=<obscured>:`) and its defaults: an
// unlimited connection pool, 4 transfers and 8 checkers at once, MDTM/MFMT for times. The
// scenario with single-file commands, then a folder of several files copied up, checked byte
// by byte (check --download) and listed (lsl), and copied back.
import {expect} from "chai";
import {join} from "node:path";
import {mkdirSync, utimesSync} from "node:fs";
import {FOLDER, sha, makeFile, shaOfFile, must, remote, serverPerSuite, localNames, waitForNoSessions, maxSessions} from "./support.js";

describe("clients: rclone", function () {
	this.timeout(120000);
	const ctx = {};
	serverPerSuite(ctx, ["--image-size", String(16 * 1024 * 1024)]);
	let remoteRoot;

	/** rclone with no config file; its log (-v) is on stderr. */
	const rclone = async (...args) => {
		const result = await must("rclone", ["--config", join(ctx.server.dir, "rclone.conf"), "-v", ...args], {timeout: 110000, env: {TZ: "UTC"}});
		// a retried failure is still a failure of the server
		expect(result.stderr, result.text).not.to.match(/ERROR|Attempt \d+\/\d+ failed/);
		return result;
	};

	before(async () => {
		const {stdout} = await must("rclone", ["obscure", "test@"]);
		remoteRoot = `:ftp,host=${ctx.server.host},port=${ctx.server.port},user=anonymous,pass=${stdout.trim()}:`;
	});

	it("completes the scenario: lsf, mkdir, copyto, lsl, copyto back, moveto, deletefile, rmdir", async () => {
		const server = ctx.server;
		const local = join(server.dir, "rclone");
		const data = makeFile(local, "up.bin", 900 * 1024 + 11);
		await rclone("lsf", remoteRoot);
		await rclone("mkdir", `${remoteRoot}${FOLDER}`);
		expect((await rclone("lsf", remoteRoot)).stdout.split("\n")).to.include(`${FOLDER}/`);
		await rclone("copyto", join(local, "up.bin"), `${remoteRoot}${FOLDER}/fichier 1.bin`);
		const listed = await rclone("lsl", `${remoteRoot}${FOLDER}`);
		expect(listed.stdout).to.match(new RegExp(`^ +${data.length} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+ fichier 1\\.bin$`, "m"));
		await rclone("copyto", `${remoteRoot}${FOLDER}/fichier 1.bin`, join(local, "back.bin"));
		expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
		await rclone("moveto", `${remoteRoot}${FOLDER}/fichier 1.bin`, `${remoteRoot}${FOLDER}/renommé.bin`);
		expect((await rclone("lsf", `${remoteRoot}${FOLDER}`)).stdout).to.equal("renommé.bin\n");
		expect(await remote(server, `/${FOLDER}`)).to.deep.equal({"renommé.bin": {size: data.length, directory: false}});
		await rclone("deletefile", `${remoteRoot}${FOLDER}/renommé.bin`);
		expect((await rclone("lsf", `${remoteRoot}${FOLDER}`)).stdout).to.equal("");
		await rclone("rmdir", `${remoteRoot}${FOLDER}`);
		expect((await rclone("lsf", remoteRoot)).stdout.split("\n")).not.to.include(`${FOLDER}/`);
		expect(await remote(server)).not.to.have.property(FOLDER);
	});

	it("copies a folder of 12 files with its default concurrency, then check --download, and lsl shows the sizes and times", async () => {
		const server = ctx.server;
		const local = join(server.dir, "rclone-folder");
		const names = Array.from({length: 12}, (_, i) => `f${i} é.bin`);
		const data = names.map((n, i) => makeFile(local, n, (i + 1) * 61 * 1024 + i));
		// old, distinct times: rclone sets them with MFMT and reads them back from MLSD (UTC)
		const times = names.map((n, i) => Date.UTC(2021, 2, 4, 5, 6, i) / 1000);
		names.forEach((n, i) => utimesSync(join(local, n), times[i], times[i]));
		const target = `${remoteRoot}dossier copié`;
		await waitForNoSessions(server);
		const from = server.stderr.length;
		const copied = await rclone("copy", local, target);
		expect(copied.stderr.match(/: Copied \(new\)/g), copied.text).to.have.length(names.length);
		// its transfers ran side by side, each on its own session
		expect(maxSessions(server.stderr.slice(from))).to.be.above(1);
		// compares every byte (FTP has no hashes): downloads each file again
		const checked = await rclone("check", "--download", local, target);
		expect(checked.stderr).to.include(`${names.length} matching files`);
		expect(checked.stderr).to.include("0 differences found");
		const lsl = await rclone("lsl", target);
		const entries = Object.fromEntries(lsl.stdout.trim().split("\n").map(l => {
			const m = /^ *(\d+) (\S+ \d\d:\d\d:\d\d)\.\d+ (.+)$/.exec(l);
			return [m[3], [Number(m[1]), m[2]]];
		}));
		expect(entries).to.deep.equal(Object.fromEntries(names.map((n, i) =>
			[n, [data[i].length, `2021-03-04 05:06:${String(i).padStart(2, "0")}`]])));
		const back = join(server.dir, "rclone-back");
		mkdirSync(back);
		await rclone("copy", target, back);
		expect(localNames(back)).to.deep.equal([...names].sort());
		names.forEach((n, i) => expect(shaOfFile(join(back, n)), n).to.equal(sha(data[i])));
	});
});
