// Listings made natively (modules/ftpsock/ftpsock_listing.c) against the reference formats of
// modules/listing/format.ts, byte for byte: LIST, NLST, MLSD and STAT of a folder, on a --root
// folder and on a LittleFS image, with odd names, sizes and dates, and more than 500 entries
// (several buffers, lines split between them).
import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, writeFileSync, utimesSync, truncateSync, rmSync, mkdtempSync} from "node:fs";
import {createRequire} from "node:module";
import {tmpdir} from "node:os";
import {join, dirname} from "node:path";
import {fileURLToPath} from "node:url";
import {startServer} from "./server.js";
import {RawClient, readAll} from "./raw.js";

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);

/** format.ts compiled for Node (as scripts/test.js does for the unit tier). */
function reference() {
	const compiled = join(projectRoot, "build", "unit", "modules", "listing", "format.js");
	if (!existsSync(compiled)) {
		const tsc = join(projectRoot, "node_modules", ".bin", "tsc");
		const result = spawnSync(tsc, ["-p", join(projectRoot, "tests", "unit", "tsconfig.json")], {stdio: "inherit"});
		if (result.status !== 0)
			throw new Error("tsc -p tests/unit failed");
		writeFileSync(join(projectRoot, "build", "unit", "package.json"), '{"type": "commonjs"}\n');
	}
	return require(compiled);
}

const DAY = 24 * 3600;
const now = Math.floor(Date.now() / 1000);

/** The fixture: names, sizes (bytes written, or a sparse size on a folder), times. */
function fixture({sparse}) {
	const entries = [
		{name: "plain.txt", size: 5, mtime: now - 60},
		{name: "with  two spaces .txt", size: 1, mtime: now - 3 * DAY},
		{name: " leading space", size: 2, mtime: now - 100 * DAY},
		{name: "-la", size: 3, mtime: now - 200 * DAY},
		{name: "ünïcödé 日本語.bin", size: 7, mtime: 951782400},		// 2000-02-29
		// 2024-02-29; the longest name each volume takes (the image's LittleFS has a shorter limit)
		{name: "x".repeat(sparse ? 255 : 200), size: 12, mtime: 1709164800},
		{name: "é".repeat(sparse ? 127 : 100), size: 0, mtime: 1},	// 254 (200) bytes of UTF-8
		{name: "a;b=c%d", size: 9, mtime: 4102444799},				// 2099-12-31T23:59:59
		{name: "soon", size: 4, mtime: now + 1800},					// within the hour ahead: hours
		{name: "later", size: 4, mtime: now + 2 * DAY},				// further ahead: the year
		{name: "epoch", size: 6, mtime: 0},							// unknown: no modify fact
		{name: "big", size: sparse ? 98765432109 : 70000, mtime: 1234567890},
		{name: "folder", directory: true, mtime: 946684800},
		{name: "folder two", directory: true, mtime: now - 5},
	];
	for (let i = 0; i < 520; i++)
		entries.push({name: `file-${String(i).padStart(4, "0")}-${"n".repeat(i % 97)}`, size: (i * 7919) % 5000, mtime: 1500000000 + i * 86399});
	return entries.map(e => ({directory: false, size: 0, ...e}));
}

async function fetchListing(client, command) {
	const socket = await client.passive();
	const bytes = readAll(socket);
	const opening = await client.command(command);
	expect(opening.code, `${command}: ${opening.text}`).to.equal(150);
	const data = await bytes;
	const done = await client.reply();
	expect(done.code, `${command}: ${done.text}`).to.equal(226);
	return data;
}

/** The lines of a listing in the order the server gave them, by name (NLST's order: the folder's). */
function expected(format, order, byName, writable, line) {
	return Buffer.from(order.map(name => line(byName.get(name), writable)).map(text => text + "\r\n").join(""), "utf8");
}

function suite(kind) {
	describe(`native listings on ${kind === "root" ? "a --root folder" : "a LittleFS image"}`, function () {
		this.timeout(180000);
		let server, client, format, entries, byName, folder, at;

		before(async () => {
			format = reference();
			entries = fixture({sparse: kind === "root"});
			byName = new Map(entries.map(e => [e.name, e]));
			if (kind === "root") {
				folder = mkdtempSync(join(tmpdir(), "ftpd-listing-"));
				at = join(folder, "root");
				mkdirSync(join(at, "d"), {recursive: true});
				for (const e of entries) {
					const path = join(at, "d", e.name);
					if (e.directory)
						mkdirSync(path);
					else if (e.size > 1e6) {
						writeFileSync(path, "");
						truncateSync(path, e.size);
					}
					else
						writeFileSync(path, Buffer.alloc(e.size, 0x61));
					utimesSync(path, e.mtime, e.mtime);
				}
				writeFileSync(join(at, "d", ".ftpd-part-77"), "hidden");
				server = await startServer({args: ["--root", at], dir: folder});
				client = await RawClient.login(server.port);
			}
			else {
				server = await startServer();
				client = await RawClient.login(server.port);
				expect((await client.command("MKD /d")).code).to.equal(257);
				for (const e of entries) {
					const path = `/d/${e.name}`;
					if (e.directory)
						expect((await client.command(`MKD ${path}`)).code).to.equal(257);
					else {
						const socket = await client.passive();
						const stor = await client.command(`STOR ${path}`);
						expect(stor.code, `STOR ${e.name}: ${stor.text}`).to.equal(150);
						socket.end(Buffer.alloc(e.size, 0x61));
						expect((await client.reply()).code).to.equal(226);
					}
					if (e.mtime > 0) {
						const stamp = format.formatTimeval(e.mtime);
						expect((await client.command(`MFMT ${stamp} ${path}`)).code, `MFMT ${e.name}`).to.equal(213);
					}
				}
				// the image's "epoch" file keeps the time of its upload: read it back
				const mdtm = await client.command("MDTM /d/epoch");
				byName.get("epoch").mtime = format.parseTimeval(mdtm.text.slice(4));
				// a directory's time on the image is the one MFMT set, or its creation's
				for (const e of entries.filter(e => e.directory)) {
					const reply = await client.command(`MLST /d/${e.name}`);
					const m = /modify=(\d{14})/.exec(reply.text);
					e.mtime = m ? format.parseTimeval(m[1]) : 0;
				}
			}
		});
		after(async () => {
			client?.close();
			await server?.dispose();
			if (folder)
				rmSync(folder, {recursive: true, force: true});
		});

		let order;
		it("NLST names every entry but the temporary upload, once", async () => {
			const text = (await fetchListing(client, "NLST /d")).toString("utf8");
			expect(text.endsWith("\r\n")).to.equal(true);
			order = text.slice(0, -2).split("\r\n");
			expect([...order].sort()).to.deep.equal(entries.map(e => e.name).sort());
			expect(Buffer.from(text, "utf8")).to.deep.equal(expected("NLST", order, byName, true, e => e.name));
		});

		it("LIST is format.ts's formatListLine, byte for byte", async () => {
			const data = await fetchListing(client, "LIST /d");
			// the server's clock read between ours: the half-year boundary is far from every fixture
			expect(data.equals(expected("LIST", order, byName, true, (e, w) => format.formatListLine(e, now, w))),
				"LIST differs from format.ts").to.equal(true);
			const options = await fetchListing(client, "LIST -la /d");
			expect(options.equals(data)).to.equal(true);
		});

		it("MLSD is format.ts's formatMlsxLine, byte for byte", async () => {
			const data = await fetchListing(client, "MLSD /d");
			expect(data.equals(expected("MLSD", order, byName, true, (e, w) => format.formatMlsxLine(e, w))),
				"MLSD differs from format.ts").to.equal(true);
		});

		it("STAT of a folder is a space and format.ts's LIST line per entry, then 213", async () => {
			client.send("STAT /d");
			const reply = await client.reply(60000);
			expect(reply.code).to.equal(213);
			const lines = reply.text.split("\n");
			expect(lines[0]).to.equal("213-Status of /d:");
			expect(lines.at(-1)).to.equal("213 End of status.");
			const body = lines.slice(1, -1).map(line => line + "\r\n").join("");
			const want = order.map(name => ` ${format.formatListLine(byName.get(name), now, true)}\r\n`).join("");
			expect(body).to.equal(want);
		});

		it("after deletes and renames in the folder, LIST and MLSD still match format.ts", async () => {
			// deletes and renames rewrite the folder's metadata (LittleFS: entries spliced out and in)
			for (let i = 0; i < 520; i += 7) {
				const name = entries.find(e => e.name.startsWith(`file-${String(i).padStart(4, "0")}-`)).name;
				expect((await client.command(`DELE /d/${name}`)).code).to.equal(250);
				byName.delete(name);
			}
			for (let i = 3; i < 520; i += 11) {
				const name = entries.find(e => e.name.startsWith(`file-${String(i).padStart(4, "0")}-`)).name;
				if (!byName.has(name))
					continue;
				const renamed = `renamed ${i}`;
				expect((await client.command(`RNFR /d/${name}`)).code).to.equal(350);
				expect((await client.command(`RNTO /d/${renamed}`)).code).to.equal(250);
				byName.set(renamed, {...byName.get(name), name: renamed});
				byName.delete(name);
			}
			const text = (await fetchListing(client, "NLST /d")).toString("utf8");
			const now2 = text.slice(0, -2).split("\r\n");
			expect([...now2].sort()).to.deep.equal([...byName.keys()].sort());
			const list = await fetchListing(client, "LIST /d");
			expect(list.equals(expected("LIST", now2, byName, true, (e, w) => format.formatListLine(e, now, w)))).to.equal(true);
			const mlsd = await fetchListing(client, "MLSD /d");
			expect(mlsd.equals(expected("MLSD", now2, byName, true, (e, w) => format.formatMlsxLine(e, w)))).to.equal(true);
		});

		it("an empty folder lists nothing, and a missing one gets 550", async () => {
			expect((await client.command("MKD /empty")).code).to.equal(257);
			expect((await fetchListing(client, "LIST /empty")).length).to.equal(0);
			expect((await fetchListing(client, "MLSD /empty")).length).to.equal(0);
			expect((await fetchListing(client, "NLST /empty")).length).to.equal(0);
			const socket = await client.passive();
			expect((await client.command("LIST /nothing-here")).code).to.equal(550);
			socket.destroy();
			expect((await client.command("STAT /nothing-here")).code).to.equal(550);
		});
	});
}

suite("root");
suite("image");

describe("native listings for a read-only session", function () {
	this.timeout(60000);
	let server, folder;
	after(async () => {
		await server?.dispose();
	});

	it("show read-only permissions in LIST, MLSD and STAT", async () => {
		const format = reference();
		folder = mkdtempSync(join(tmpdir(), "ftpd-listing-ro-"));
		mkdirSync(join(folder, "root", "sub"), {recursive: true});
		writeFileSync(join(folder, "root", "f"), "abc");
		utimesSync(join(folder, "root", "f"), 1000000000, 1000000000);
		utimesSync(join(folder, "root", "sub"), 1100000000, 1100000000);
		server = await startServer({args: ["--root", join(folder, "root"), "--user", "u", "--password", "p", "--anonymous", "read"], dir: folder});
		const client = await RawClient.login(server.port);
		const order = (await fetchListing(client, "NLST /")).toString().slice(0, -2).split("\r\n");
		const byName = new Map([["f", {name: "f", size: 3, mtime: 1000000000, directory: false}],
			["sub", {name: "sub", size: 0, mtime: 1100000000, directory: true}]]);
		const list = await fetchListing(client, "LIST /");
		expect(list.toString()).to.equal(expected("LIST", order, byName, false, (e, w) => format.formatListLine(e, now, w)).toString());
		const mlsd = await fetchListing(client, "MLSD /");
		expect(mlsd.toString()).to.equal(expected("MLSD", order, byName, false, (e, w) => format.formatMlsxLine(e, w)).toString());
		expect(list.toString()).to.include("-r--r--r-- 1 ftp ftp          3 Sep  9  2001 f");
		expect(mlsd.toString()).to.include("type=dir;modify=20041109113320;perm=el; sub\r\n");
		client.close();
	});
});
