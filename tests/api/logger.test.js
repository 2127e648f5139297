// examples/logger on the Linux host: the app appends a line to /log.txt every second with the
// SDK's `file` API while FTP clients list and download the growing log, delete it, and upload
// files to /inbox/ that the app reads and answers in /outbox/. Nothing is torn (every download
// ends at a line's end, each line whole) or lost (the numbering has no gap, a later download
// holds all of an earlier one), and the app reads each upload whole, once complete.
import {expect} from "chai";
import {Client} from "basic-ftp";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {randomBytes} from "node:crypto";
import {Readable, Writable} from "node:stream";
import {projectRoot, buildHost} from "../../scripts/sdk.js";
import {runApp, stopApp} from "./support.js";

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function connect(port) {
	const client = new Client(20000);
	await client.access({host: "127.0.0.1", port, user: "anonymous", password: "test@"});
	return client;
}

async function download(client, name) {
	const chunks = [];
	await client.downloadTo(new Writable({write(chunk, _, done) { chunks.push(chunk); done(); }}), name);
	return Buffer.concat(chunks).toString("utf8");
}

/** The numbered lines of a log, checked whole: [numbers], and the "read" lines. */
function parseLog(text) {
	expect(text.endsWith("\n"), `a download ends at a line's end: ${JSON.stringify(text.slice(-40))}`).to.equal(true);
	const numbers = [], reads = [];
	for (const line of text.slice(0, -1).split("\n")) {
		let m = /^(\d+) (\d{13})$/.exec(line);
		if (m) {
			numbers.push(Number(m[1]));
			continue;
		}
		m = /^read (\S+) (\d+) (\d+)$/.exec(line);
		expect(m, `a whole line: ${JSON.stringify(line)}`).to.not.equal(null);
		reads.push({name: m[1], length: Number(m[2]), sum: Number(m[3])});
	}
	numbers.forEach((n, i) => { if (i) expect(n, `line numbers without a gap: ${numbers.join(",")}`).to.equal(numbers[i - 1] + 1); });
	return {numbers, reads};
}

describe("examples/logger: the app writes while FTP clients read, delete and upload", function () {
	this.timeout(600000);
	let app, work, port;
	before(async () => {
		const binary = join(buildHost({manifest: join(projectRoot, "examples", "logger", "manifest.json"), name: "example-logger", quiet: true}), "..", "logger");
		work = mkdtempSync(join(tmpdir(), "ftpd-logger-"));
		app = await runApp(binary, {cwd: work, env: {FTPD_PORT: "0", FTPD_IMAGE: join(work, "logger.lfs")}, ready: /^logger: serving (ftp:\/\/\S+)$/m});
		port = Number(new URL(app.match[1]).port);
	});
	after(async () => {
		await stopApp(app);
		if (work)
			rmSync(work, {recursive: true, force: true});
	});

	it("serves a growing log: every download whole lines, each holding the one before", async () => {
		const client = await connect(port);
		try {
			let previous = "", sizes = [];
			const deadline = Date.now() + 4500;
			while (Date.now() < deadline) {
				const listed = (await client.list("/")).find(entry => entry.name === "log.txt");
				if (listed)
					sizes.push(listed.size);
				const text = await download(client, "log.txt").catch(error => {
					// before the first tick there is no log yet
					if (!previous && /550/.test(error.message))
						return "";
					throw error;
				});
				if (text) {
					const {numbers} = parseLog(text);
					expect(numbers[0]).to.equal(1);
					expect(text.startsWith(previous), "a later download holds an earlier one").to.equal(true);
					previous = text;
				}
				await sleep(150);
			}
			expect(parseLog(previous).numbers.length, "the app kept appending").to.be.at.least(3);
			sizes.forEach((size, i) => { if (i) expect(size).to.be.at.least(sizes[i - 1]); });
		}
		finally {
			client.close();
		}
	});

	it("reads each file uploaded to /inbox/ once it is whole, while downloads go on", async () => {
		const files = [1, 70000, 300000].map((size, i) => ({name: `up${i}.bin`, data: randomBytes(size)}));
		const uploader = await connect(port), reader = await connect(port);
		try {
			let reading = true;
			const downloads = (async () => {
				while (reading) {
					parseLog(await download(reader, "log.txt"));
					await sleep(100);
				}
			})();
			for (const file of files)
				await uploader.uploadFrom(Readable.from([file.data]), `/inbox/${file.name}`);
			const deadline = Date.now() + 15000;
			for (const file of files) {
				const sum = file.data.reduce((total, byte) => (total + byte) >>> 0, 0);
				let answer;
				while (!answer && (Date.now() < deadline)) {
					answer = await download(uploader, `/outbox/${file.name}.txt`).catch(() => undefined);
					if (!answer)
						await sleep(200);
				}
				expect(answer, `the app answered ${file.name}`).to.equal(`${file.data.length} ${sum}\n`);
			}
			reading = false;
			await downloads;
			const {reads} = parseLog(await download(uploader, "log.txt"));
			for (const file of files)
				expect(reads.filter(read => read.name === file.name), file.name).to.have.length(1);
			// the app deleted what it read
			expect((await uploader.list("/inbox")).map(entry => entry.name)).to.deep.equal([]);
		}
		finally {
			uploader.close();
			reader.close();
		}
	});

	it("goes on in a new log when a client deletes it, its numbering without a gap", async () => {
		const client = await connect(port);
		try {
			const before = parseLog(await download(client, "log.txt")).numbers;
			await client.remove("log.txt");
			await sleep(2500);
			const after = parseLog(await download(client, "log.txt")).numbers;
			expect(after.length).to.be.at.least(1);
			expect(after[0]).to.be.greaterThan(before[before.length - 1]);
			expect(app.stderr).to.not.match(/<error>|fatal/);
		}
		finally {
			client.close();
		}
	});
});
