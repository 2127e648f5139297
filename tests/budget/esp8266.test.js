// Part of `npm test` (its XS tier); `npm run test:budget` runs it alone.
// The server in the ESP8266's XS memory: the Linux host built with fixed heaps of the
// ESP8266's size (hosts/lin/budget/manifest.json) serves two sessions that log in, list, and
// move 1 MiB each way at the same time, byte-exact. When XS runs out of memory the host prints
// "ftpd: fatal: memory full" on stderr and exits, so a budget that is too small fails here.
import {expect} from "chai";
import {createHash, randomBytes} from "node:crypto";
import {RawClient, readAll} from "../ftp/raw.js";
import {buildBudgetHost, startHost} from "../../hosts/lin/budget/variants.js";

const USER = "admin", PASSWORD = "secret";
const MiB = 1024 * 1024;
const sha = data => createHash("sha256").update(data).digest("hex");

async function expectCode(promise, code) {
	const reply = await promise;
	expect(reply.code, reply.closed ? "the server closed the connection" : reply.text).to.equal(code);
	return reply;
}

/** The host's "ftpd: fatal: ..." line (memory full...), once it has died of one. */
/** Resolves once the host has logged as many sessions disconnected as connected. */
async function allDisconnected(host, ms = 10000) {
	const count = word => (host.stderr.match(new RegExp(`^ftpd: info: #\\d+ \\S+ ${word}$`, "gm")) ?? []).length;
	const end = Date.now() + ms;
	while (count("disconnected") < count("connected")) {
		if (Date.now() > end)
			throw new Error(`sessions still open after ${ms} ms:\n${host.stderr.slice(-2000)}`);
		await new Promise(resolve => setTimeout(resolve, 20));
	}
}

function fatal(host) {
	return /ftpd: fatal: .*/.exec(host.stderr)?.[0];
}

/** STOR `data` as `name`; the passive data channel may have to wait for the other session. */
async function upload(client, name, data) {
	const socket = await client.passive();
	await expectCode(client.command(`STOR ${name}`), 150);
	socket.end(data);
	await expectCode(client.reply(30000), 226);
}

async function download(client, name) {
	const socket = await client.passive();
	await expectCode(client.command(`RETR ${name}`), 150);
	const data = await readAll(socket);
	await expectCode(client.reply(30000), 226);
	return data;
}

async function list(client) {
	const socket = await client.passive();
	await expectCode(client.command("LIST"), 150);
	const text = (await readAll(socket)).toString("utf8");
	await expectCode(client.reply(30000), 226);
	return text;
}

/** One session's work: log in, then `rounds` times upload 1 MiB, list it, download it, delete it. */
async function session(port, tag, rounds) {
	const client = await RawClient.login(port, USER, PASSWORD);
	try {
		await expectCode(client.command("TYPE I"), 200);
		for (let round = 0; round < rounds; round++) {
			const data = randomBytes(MiB);
			const name = `${tag}-${round}.bin`;
			await upload(client, name, data);
			const listing = await list(client);
			expect(listing).to.match(new RegExp(` ${MiB} .* ${name}\r\n`));
			expect(sha(await download(client, name))).to.equal(sha(data));
			await expectCode(client.command(`DELE ${name}`), 250);
		}
		await expectCode(client.command("QUIT"), 221);
	}
	finally {
		client.close();
	}
}

describe("memory budget: the ESP8266's fixed XS heap (Linux host)", function () {
	let host;

	before(async function () {
		// a clean build takes over a minute on two cores
		this.timeout(600000);
		const binary = process.env.FTPD_BUDGET_BINARY ?? buildBudgetHost("release");
		// two sessions, as the ESP8266's configuration allows (hosts/esp/manifest.json); an image
		// with room for two 1 MiB files and the two uploads that replace them
		host = await startHost(binary, {args: ["--max-sessions", "2", "--user", USER, "--password", PASSWORD, "--verbose", "1", "--image-size", String(8 * MiB)]});
	});

	after(async function () {
		await host?.dispose();
	});

	afterEach(async function () {
		expect(fatal(host), "the host's fatal error").to.equal(undefined);
		expect(host.proc.exitCode, host.stderr).to.equal(null);
		// a client's close after QUIT's 221 reaches the server a little later: the next test's
		// two sessions would otherwise find the last ones still counted (421, the cap is 2)
		await allDisconnected(host);
	});

	it("two sessions log in, list and transfer 1 MiB up and down each, byte-exact, three times", async function () {
		try {
			await Promise.all([session(host.port, "a", 3), session(host.port, "b", 3)]);
		}
		catch (error) {
			// a client sees only a closed connection; the reason is on the host's stderr
			await Promise.race([host.exited, new Promise(resolve => setTimeout(resolve, 1000))]);
			throw fatal(host) ? new Error(`the host died: "${fatal(host)}" (the client saw: ${error.message})`) : error;
		}
	});

	it("two sessions at once work through a folder of 40 files: MLSD, LIST, STAT, ABOR, REST, renames", async function () {
		const work = async tag => {
			const client = await RawClient.login(host.port, USER, PASSWORD);
			try {
				await expectCode(client.command("TYPE I"), 200);
				await expectCode(client.command(`MKD ${tag}`), 257);
				await expectCode(client.command(`CWD ${tag}`), 250);
				const small = randomBytes(300);
				for (let i = 0; i < 40; i++)
					await upload(client, `file-with-a-long-name-${String(i).padStart(3, "0")}.txt`, small);
				const big = randomBytes(MiB);
				await upload(client, "big.bin", big);

				let socket = await client.passive();
				await expectCode(client.command("MLSD"), 150);
				const facts = (await readAll(socket)).toString("utf8").split("\r\n").filter(Boolean);
				await expectCode(client.reply(30000), 226);
				expect(facts).to.have.lengthOf(41);
				expect((await list(client)).split("\r\n").filter(Boolean)).to.have.lengthOf(41);
				const status = await expectCode(client.command("STAT ."), 213);
				expect(status.text.split("\n").length).to.be.greaterThan(41);

				// a download aborted after its first bytes, then resumed where the client stopped
				socket = await client.passive();
				await expectCode(client.command("RETR big.bin"), 150);
				const first = await new Promise(resolve => socket.once("data", resolve));
				socket.destroy();
				// two replies either way: 426 (the download, cut) or 226 (it was complete before
				// ABOR arrived, the whole file queued in the socket buffers), then ABOR's own 226
				const aborted = await client.command("ABOR", 30000);
				expect([426, 226]).to.include(aborted.code);
				await expectCode(client.reply(30000), 226);
				await expectCode(client.command(`REST ${first.length}`), 350);
				socket = await client.passive();
				await expectCode(client.command("RETR big.bin"), 150);
				const rest = await readAll(socket);
				await expectCode(client.reply(30000), 226);
				expect(sha(Buffer.concat([first, rest]))).to.equal(sha(big));

				await expectCode(client.command("RNFR big.bin"), 350);
				await expectCode(client.command("RNTO renamed.bin"), 250);
				await expectCode(client.command("SITE WHO"), 211);
				await expectCode(client.command("DELE renamed.bin"), 250);
				for (let i = 0; i < 40; i++)
					await expectCode(client.command(`DELE file-with-a-long-name-${String(i).padStart(3, "0")}.txt`), 250);
				await expectCode(client.command("CDUP"), 250);
				await expectCode(client.command(`RMD ${tag}`), 250);
				await expectCode(client.command("QUIT"), 221);
			}
			finally {
				client.close();
			}
		};
		try {
			await Promise.all([work("c"), work("d")]);
		}
		catch (error) {
			await Promise.race([host.exited, new Promise(resolve => setTimeout(resolve, 1000))]);
			throw fatal(host) ? new Error(`the host died: "${fatal(host)}" (the client saw: ${error.message})`) : error;
		}
	});

	it("refuses a third session with 421 and goes on serving the two", async function () {
		const first = await RawClient.login(host.port, USER, PASSWORD);
		const second = await RawClient.login(host.port, USER, PASSWORD);
		const third = await RawClient.connect(host.port);
		expect((await third.reply()).code).to.equal(421);
		third.close();
		expect((await first.command("NOOP")).code).to.equal(200);
		expect((await second.command("SITE DF")).code).to.equal(211);
		first.close();
		second.close();
	});
});
