// Python's ftplib (Debian's /usr/bin/python3): the scenario with mlsd() facts,
// retrlines('LIST') in TYPE A, storbinary, rename; and abort() during a large download.
// The Python side is ftplib_client.py; it prints JSON, the assertions are here.
import {expect} from "chai";
import {join, dirname} from "node:path";
import {fileURLToPath} from "node:url";
import {FOLDER, makeFile, run, seed, remote, serverPerSuite} from "./support.js";
import {randomBytes} from "node:crypto";

const script = join(dirname(fileURLToPath(import.meta.url)), "ftplib_client.py");

async function ftplib(server, step, dir) {
	const result = await run("/usr/bin/python3", [script, step, String(server.port), dir], {timeout: 90000});
	if (result.code !== 0)
		throw new Error(`ftplib failed\n${result.text}`);
	return JSON.parse(result.stdout);
}

describe("clients: Python ftplib", function () {
	this.timeout(120000);
	const ctx = {};
	// room for the 12 MiB file of the abort test
	serverPerSuite(ctx, ["--image-size", String(32 * 1024 * 1024)]);

	it("completes the scenario: mlsd() facts, retrlines('LIST') in TYPE A, storbinary, rename", async () => {
		const server = ctx.server;
		const local = join(server.dir, "ftplib");
		const data = makeFile(local, "up.bin", 1024 * 1024 + 17);
		const from = server.stderr.length;
		const r = await ftplib(server, "scenario", local);
		const now = Date.now() / 1000;

		expect(r.welcome).to.match(/^220 /);
		expect(r.mkd).to.equal(`/${FOLDER}`);
		expect(r.stor).to.match(/^226 /);
		// mlsd(): every fact, UTC modify within a minute of now
		expect(r.mlsd).to.have.length(1);
		const [name, facts] = r.mlsd[0];
		expect(name).to.equal("fichier 1.bin");
		expect(facts).to.include({type: "file", size: String(data.length)});
		expect(facts.perm).to.match(/^[adfrw]+$/).and.include("r").and.include("w");
		expect(facts.modify).to.match(/^\d{14}$/);
		const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(facts.modify);
		const modified = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000;
		expect(Math.abs(modified - now)).to.be.below(60);
		const folder = r.mlsd_root.find(([n]) => n === FOLDER);
		expect(folder, JSON.stringify(r.mlsd_root)).to.exist;
		expect(folder[1].type).to.equal("dir");
		// retrlines('LIST') after TYPE A: ls -l lines, the exact size
		expect(r.list).to.match(/^226 /);
		expect(r.list_lines).to.have.length(1);
		expect(r.list_lines[0]).to.match(new RegExp(`^-rw-r--r-- 1 ftp ftp +${data.length} [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) fichier 1\\.bin$`));
		expect(server.stderr.slice(from)).to.match(/> TYPE A\n[^]*?> LIST\n/);
		expect(r.size).to.equal(data.length);
		expect(r.retr_sha).to.equal(r.sent_sha);
		expect(r.rename).to.match(/^250 /);
		expect(r.after_rename).to.deep.equal(["renommé.bin"]);
		expect(r.delete).to.match(/^250 /);
		expect(r.after_delete).to.deep.equal([]);
		expect(r.rmd).to.match(/^250 /);
		expect(r.after_rmd).not.to.include(FOLDER);
		expect(r.quit).to.match(/^221 /);
		expect(await remote(server)).not.to.have.property(FOLDER);
	});

	it("abort() during a 12 MiB download: 426 then 226, and the session goes on", async () => {
		const server = ctx.server;
		await seed(server, "big.bin", randomBytes(12 * 1024 * 1024));
		const from = server.stderr.length;
		const r = await ftplib(server, "abort", server.dir);
		// what the server read of the ABOR line (sent as TCP urgent data)
		const seen = server.stderr.slice(from).split("\n").filter(l => / > .*ABOR/.test(l));
		const report = JSON.stringify({...r, server_read: seen}, null, 1);
		expect(r.abort_error, report).to.equal(undefined);
		expect(r.abort, report).to.match(/^426 /);
		expect(r.after_426, report).to.match(/^226 /);
		expect(r.abort_seconds, report).to.be.below(5);
		expect(r.noop, report).to.match(/^200 /);
		expect(r.nlst, report).to.include("big.bin");
		expect(r.after_error, report).to.equal(undefined);
	});
});
