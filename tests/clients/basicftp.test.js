// basic-ftp (npm): the scenario (OPTS UTF8 before login, MLSD since FEAT advertises it,
// EPSV); then 8 clients at once, each uploading and downloading 1 MiB through the one data
// channel all sessions share.
import {expect} from "chai";
import {randomBytes} from "node:crypto";
import {FOLDER, sha, connect, upload, download, remote, serverPerSuite, waitForNoSessions, maxSessions} from "./support.js";

/** Most transfers open at once in a server log: a 150 opens one, the next final reply closes it. */
function maxOpenTransfers(log) {
	let open = 0, most = 0;
	for (const m of log.matchAll(/ < (\d{3}) /g)) {
		if (m[1] === "150")
			most = Math.max(most, ++open);
		else if (open && /^(226|4\d\d|5\d\d)$/.test(m[1]))
			open--;
	}
	return most;
}

describe("clients: basic-ftp", function () {
	this.timeout(120000);
	const ctx = {};
	// 8 MiB of uploads need a larger image than the default 4 MiB
	serverPerSuite(ctx, ["--image-size", String(32 * 1024 * 1024)]);

	it("completes the scenario", async () => {
		const server = ctx.server;
		const from = server.stderr.length;
		const client = await connect(server);
		try {
			expect(await client.list()).to.be.an("array");
			await client.send(`MKD ${FOLDER}`);
			const root = await client.list();
			expect(root.find(e => e.name === FOLDER)?.isDirectory, JSON.stringify(root)).to.equal(true);
			await client.cd(FOLDER);
			const data = randomBytes(1024 * 1024 + 3);
			await upload(client, data, "fichier 1.bin");
			const listed = await client.list();
			expect(listed.map(e => [e.name, e.size, e.isFile])).to.deep.equal([["fichier 1.bin", data.length, true]]);
			expect(Math.abs(listed[0].modifiedAt.getTime() - Date.now())).to.be.below(60000);
			expect(sha(await download(client, "fichier 1.bin"))).to.equal(sha(data));
			await client.rename("fichier 1.bin", "renommé.bin");
			expect((await client.list()).map(e => e.name)).to.deep.equal(["renommé.bin"]);
			await client.remove("renommé.bin");
			expect(await client.list()).to.deep.equal([]);
			await client.cdup();
			await client.removeDir(FOLDER);
			expect((await client.list()).map(e => e.name)).not.to.include(FOLDER);
		}
		finally {
			client.close();
		}
		const log = server.stderr.slice(from);
		expect(log).to.match(/> OPTS UTF8 ON\n[^]*> USER anonymous/);
		expect(log).to.match(/> MLSD/);
		expect(await remote(server)).not.to.have.property(FOLDER);
	});

	it("uploads name.part and renames it over the old file (KDE), which is then replaced", async () => {
		const client = await connect(ctx.server);
		try {
			const old = randomBytes(5000), fresh = randomBytes(7000);
			await upload(client, old, "rapport.txt");
			await upload(client, fresh, "rapport.txt.part");
			await client.rename("rapport.txt.part", "rapport.txt");
			const names = (await client.list()).filter(e => e.name.startsWith("rapport"));
			expect(names.map(e => [e.name, e.size])).to.deep.equal([["rapport.txt", fresh.length]]);
			expect(sha(await download(client, "rapport.txt"))).to.equal(sha(fresh));
			await client.remove("rapport.txt");
		}
		finally {
			client.close();
		}
	});

	it("serves 8 clients in parallel, each uploading and downloading 1 MiB byte-exact through the shared data channel", async () => {
		const server = ctx.server;
		await waitForNoSessions(server);
		const from = server.stderr.length;
		const clients = await Promise.all(Array.from({length: 8}, () => connect(server)));
		try {
			const blobs = clients.map(() => randomBytes(1024 * 1024));
			await Promise.all(clients.map((c, i) => upload(c, blobs[i], `parallèle ${i}.bin`)));
			const back = await Promise.all(clients.map((c, i) => download(c, `parallèle ${i}.bin`)));
			back.forEach((b, i) => expect(sha(b), `client ${i}`).to.equal(sha(blobs[i])));
			const sizes = await Promise.all(clients.map((c, i) => c.size(`parallèle ${i}.bin`)));
			expect(sizes).to.deep.equal(blobs.map(b => b.length));
		}
		finally {
			clients.forEach(c => c.close());
		}
		const log = server.stderr.slice(from);
		expect(maxSessions(log)).to.equal(8);
		// one data channel: the transfers took turns
		expect(maxOpenTransfers(log)).to.equal(1);
	});
});
