// What Windows Explorer (WinINet) sends, replayed line by line with the raw client:
// OPTS UTF8 ON before login (anything but 2xx and it garbles names), SYST, TYPE A, PASV,
// LIST, CWD, TYPE I, SIZE, PASV, RETR, PASV, STOR, and a LIST that shows the new file.
import {expect} from "chai";
import {randomBytes} from "node:crypto";
import net from "node:net";
import {RawClient, readAll} from "../ftp/raw.js";
import {FOLDER, sha, seed, fetchRemote, serverPerSuite} from "./support.js";

const LIST_LINE = (name, size) => new RegExp(`^-rw-r--r-- 1 ftp ftp +${size} [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) ${name.replace(/[.()]/g, "\\$&")}$`, "m");

/** PASV as Explorer reads it: the address and port of the 227 reply, connected to. */
async function passive(c) {
	const reply = await c.command("PASV");
	const m = /^227 Entering Passive Mode \((127,0,0,1),(\d+),(\d+)\)\.?$/.exec(reply.text);
	expect(m, reply.text).to.not.equal(null);
	const socket = net.connect(Number(m[2]) * 256 + Number(m[3]), "127.0.0.1");
	await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
	return socket;
}

/** PASV, then the command, its 150, the data, its 226. */
async function download(c, command) {
	const socket = await passive(c);
	const bytes = readAll(socket);
	expect(await c.command(command)).to.have.property("code", 150);
	const data = await bytes;
	const done = await c.reply();
	expect(done.code, done.text).to.equal(226);
	return data;
}

describe("clients: Windows Explorer replay", function () {
	this.timeout(60000);
	const ctx = {};
	serverPerSuite(ctx);
	const existing = randomBytes(200 * 1024 + 5);

	before(async () => {
		await seed(ctx.server, `${FOLDER}/photo été.jpg`, existing);
	});

	it("answers Explorer's sequence and shows the uploaded file", async () => {
		const c = await RawClient.connect(ctx.server.port);
		try {
			expect((await c.reply()).code).to.equal(220);
			expect(await c.command("OPTS UTF8 ON")).to.have.property("code", 200);
			expect(await c.command("USER anonymous")).to.have.property("code", 331);
			expect(await c.command("PASS IEUser@")).to.have.property("code", 230);
			expect(await c.command("SYST")).to.deep.equal({code: 215, text: "215 UNIX Type: L8"});
			expect(await c.command("TYPE A")).to.have.property("code", 200);
			const root = (await download(c, "LIST")).toString("utf8");
			expect(root).to.match(new RegExp(`^drwxr-xr-x 1 ftp ftp +\\d+ [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) ${FOLDER}\\r$`, "m"));
			expect(root.endsWith("\r\n")).to.equal(true);
			expect(await c.command(`CWD /${FOLDER}/`)).to.have.property("code", 250);
			expect(await c.command("PWD")).to.deep.equal({code: 257, text: `257 "/${FOLDER}" is the current directory.`});
			expect(await c.command("TYPE I")).to.have.property("code", 200);
			expect(await c.command("SIZE photo été.jpg")).to.deep.equal({code: 213, text: `213 ${existing.length}`});
			expect(sha(await download(c, "RETR photo été.jpg"))).to.equal(sha(existing));

			const fresh = randomBytes(123457);
			const socket = await passive(c);
			expect(await c.command("STOR nouveau document.txt")).to.have.property("code", 150);
			socket.end(fresh);
			const stored = await c.reply();
			expect(stored.code, stored.text).to.equal(226);

			expect(await c.command("TYPE A")).to.have.property("code", 200);
			const listing = (await download(c, "LIST")).toString("utf8").replaceAll("\r\n", "\n");
			expect(listing).to.match(LIST_LINE("nouveau document.txt", fresh.length));
			expect(listing).to.match(LIST_LINE("photo été.jpg", existing.length));
			expect(sha(await fetchRemote(ctx.server, `/${FOLDER}/nouveau document.txt`))).to.equal(sha(fresh));
			expect(await c.command("NOOP")).to.have.property("code", 200);
		}
		finally {
			c.close();
		}
	});
});
