// ABOR is always answered, whatever the moment it arrives: 426 then 226 when it interrupts a
// transfer, the transfer's own reply then 226 when the transfer had already finished (also
// when it finished natively but the session had not yet seen it), 226 alone with no transfer.
// The finishing-download race is repeated 100 times on a small file, with ABOR sent together
// with RETR, right after it, and right after the 150.
import {expect} from "chai";
import {randomBytes} from "node:crypto";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

/** The replies a RETR followed by ABOR may get, in order (the first is RETR's 150). */
const ALLOWED = [
	"150 426 226",		// ABOR interrupted the transfer
	"150 226 226",		// the transfer had finished: its 226, then ABOR's
];

/** Waits `us` µs without yielding: the next write goes out that much later. */
function busyWait(us) {
	const end = process.hrtime.bigint() + BigInt(us) * 1000n;
	while (process.hrtime.bigint() < end)
		;
}

describe("ABOR: always answered", function () {
	this.timeout(180000);
	let server;
	const files = {};
	before(async () => {
		// a passive listener left waiting stays for the whole suite: only ABOR can end that wait
		server = await startServer({args: ["--image-size", String(32 * 1024 * 1024), "--passive-timeout", "600"]});
		const c = await RawClient.login(server.port);
		for (const size of [3000, 256 * 1024, 1024 * 1024]) {
			files[size] = randomBytes(size);
			const data = await c.passive();
			expect((await c.command(`STOR f${size}`)).code).to.equal(150);
			data.end(files[size]);
			expect((await c.reply()).code).to.equal(226);
		}
		c.close();
	});
	after(async () => {
		await server?.dispose();
	});

	it("with no transfer: 226 alone, and the session goes on", async () => {
		const c = await RawClient.login(server.port);
		expect((await c.command("ABOR")).code).to.equal(226);
		// with a prepared channel that no transfer used: the channel is given back
		expect((await c.command("PASV")).code).to.equal(227);
		expect((await c.command("ABOR")).code).to.equal(226);
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
	});

	it("a download and ABOR as it finishes, 100 times: every ABOR answered, in an allowed order", async () => {
		// ABOR sent with RETR (one write), right after it, or right after the 150, a few
		// hundred µs apart from one try to the next, on files that go in one or a few
		// wakeups: some ABORs arrive while the last bytes go, as the transfer's promise settles
		const ways = ["with RETR", "after RETR", "after 150"];
		const sizes = [3000, 256 * 1024, 1024 * 1024];
		const seen = {};
		const c = await RawClient.login(server.port);
		try {
			for (let i = 0; i < 100; i++) {
				const way = ways[i % ways.length];
				const size = sizes[Math.floor(i / ways.length) % sizes.length];
				const spin = (i * 97) % 1000;	// µs
				const data = await c.passive();
				data.on("error", () => {});
				const received = readAll(data).catch(() => undefined);
				const replies = [];
				if (way === "with RETR")
					c.send(`RETR f${size}\r\nABOR`);	// one write: often one read on the server
				else {
					c.send(`RETR f${size}`);
					if (way === "after 150")
						replies.push(await c.reply());
					busyWait(spin);
					c.send("ABOR");
				}
				while (replies.length < 3)
					replies.push(await c.reply(10000));
				const codes = replies.map(r => r.code).join(" ");
				expect(ALLOWED, `try ${i} (${size} bytes, ABOR ${way}): ${replies.map(r => r.text).join(" | ")}`).to.include(codes);
				// a 226 for the transfer means the whole file went
				if (replies[1].code === 226)
					expect((await received)?.equals(files[size]), `try ${i}: the file, whole`).to.equal(true);
				data.destroy();
				// nothing else was sent: the next reply is NOOP's
				expect(await c.command("NOOP"), `try ${i}`).to.deep.equal({code: 200, text: "200 NOOP ok."});
				seen[`${way}: ${codes}`] = (seen[`${way}: ${codes}`] ?? 0) + 1;
			}
		}
		finally {
			c.close();
		}
		console.log(`      outcomes: ${JSON.stringify(seen)}`);
	});

	it("an upload and ABOR as it finishes, 60 times: every ABOR answered, and the file is what the replies say", async () => {
		// the client ends its data connection, then sends ABOR at once or up to a millisecond
		// later: some ABORs arrive once every byte is in, while the upload is being committed
		const c = await RawClient.login(server.port);
		const seen = {};
		let current = randomBytes(2000);
		const first = await c.passive();
		expect((await c.command("STOR up.bin")).code).to.equal(150);
		first.end(current);
		expect((await c.reply()).code).to.equal(226);
		try {
			for (let i = 0; i < 60; i++) {
				const next = randomBytes(3000 + i);
				const data = await c.passive();
				data.on("error", () => {});
				expect((await c.command("STOR up.bin")).code).to.equal(150);
				// (the data connection's FIN has gone once "finish" is emitted)
				await new Promise(resolve => data.end(next, resolve));
				busyWait((i * 89) % 1000);
				c.send("ABOR");
				const replies = [await c.reply(10000), await c.reply(10000)];
				const codes = replies.map(r => r.code).join(" ");
				expect(["426 226", "226 226"], `try ${i}: ${replies.map(r => r.text).join(" | ")}`).to.include(codes);
				if (replies[0].code === 226)
					current = next;
				// 226: the new file, whole; 426: the one before, whole
				const back = await c.passive();
				const bytes = readAll(back);
				expect((await c.command("RETR up.bin")).code).to.equal(150);
				const got = await bytes;
				expect((await c.reply()).code).to.equal(226);
				expect(got.equals(current), `try ${i} (${codes}): the file the replies promised`).to.equal(true);
				expect(await c.command("NOOP"), `try ${i}`).to.deep.equal({code: 200, text: "200 NOOP ok."});
				seen[codes] = (seen[codes] ?? 0) + 1;
			}
		}
		finally {
			c.close();
		}
		console.log(`      outcomes: ${JSON.stringify(seen)}`);
	});

	it("ABOR while a RETR waits for its data connection: 426 then 226 at once, and the session goes on", async () => {
		const c = await RawClient.login(server.port);
		const reply = await c.command("PASV");
		expect(reply.code).to.equal(227);
		c.send("RETR f3000");
		// RETR now waits for the client to connect (it never will): no reply yet
		await new Promise(resolve => setTimeout(resolve, 500));
		c.send("ABOR");
		expect((await c.reply(10000)).code).to.equal(426);
		expect((await c.reply(10000)).code).to.equal(226);
		expect((await c.command("NOOP")).code).to.equal(200);
		// the listener is gone with it
		expect((await c.command("RETR f3000")).code).to.equal(425);
		c.close();
	});

	it("ABOR of a download in progress: 426 then 226, and the session goes on", async () => {
		const big = randomBytes(8 * 1024 * 1024);
		const c = await RawClient.login(server.port);
		let data = await c.passive();
		expect((await c.command("STOR big.bin")).code).to.equal(150);
		data.end(big);
		expect((await c.reply()).code).to.equal(226);
		data = await c.passive();
		data.on("error", () => {});
		expect((await c.command("RETR big.bin")).code).to.equal(150);
		// the client reads nothing: the server's send is held back, so ABOR finds it under way
		data.pause();
		await new Promise(resolve => setTimeout(resolve, 200));
		expect((await c.command("ABOR")).code).to.equal(426);
		expect((await c.reply()).code).to.equal(226);
		data.destroy();
		expect((await c.command("NOOP")).code).to.equal(200);
		c.close();
	});
});
