// wget cannot upload: it downloads one file and mirrors a folder tree (SYST, PWD, TYPE I,
// CWD, SIZE, PASV, RETR; LIST -a), passive and active; every byte is compared.
import {expect} from "chai";
import {join} from "node:path";
import {existsSync, writeFileSync} from "node:fs";
import {FOLDER, sha, shaOfFile, urlPath, must, seed, serverPerSuite, localNames} from "./support.js";
import {randomBytes} from "node:crypto";

const TREE = {
	"a.bin": randomBytes(300 * 1024 + 1),
	"nom accentué é.txt": Buffer.from("déjà vu\r\nligne 2\n"),
	"vide.bin": Buffer.alloc(0),
	"sous dossier/b.bin": randomBytes(70 * 1024),
	"sous dossier/c d.bin": randomBytes(5),
};

describe("clients: wget", function () {
	this.timeout(120000);
	const ctx = {};
	serverPerSuite(ctx);
	before(async () => {
		for (const [path, data] of Object.entries(TREE))
			await seed(ctx.server, `${FOLDER}/${path}`, data);
	});

	for (const mode of [{name: "passive", flags: []}, {name: "active (--no-passive-ftp)", flags: ["--no-passive-ftp"]}]) {
		it(`downloads one file byte-exact, ${mode.name}`, async () => {
			const out = join(ctx.server.dir, `wget-one-${mode.flags.length}.bin`);
			await must("wget", ["-nv", "--tries=1", "--timeout=20", ...mode.flags, "-O", out,
				`${ctx.server.url}/${urlPath(FOLDER, "a.bin")}`]);
			expect(shaOfFile(out)).to.equal(sha(TREE["a.bin"]));
		});

		it(`mirrors a folder tree recursively, byte-exact, ${mode.name}`, async () => {
			const out = join(ctx.server.dir, `wget-mirror-${mode.flags.length}`);
			const result = await must("wget", ["-nv", "--tries=1", "--timeout=20", ...mode.flags, "-r", "-np", "-nH", "-P", out,
				`${ctx.server.url}/${urlPath(FOLDER)}/`]);
			const root = join(out, FOLDER);
			expect(existsSync(root), result.text).to.equal(true);
			expect(localNames(root)).to.deep.equal(["a.bin", "nom accentué é.txt", "sous dossier", "vide.bin"]);
			expect(localNames(join(root, "sous dossier"))).to.deep.equal(["b.bin", "c d.bin"]);
			for (const [path, data] of Object.entries(TREE))
				expect(shaOfFile(join(root, path)), path).to.equal(sha(data));
		});
	}

	it("continues a partial download (-c: REST + RETR), byte-exact", async () => {
		const out = join(ctx.server.dir, "wget-continue.bin");
		writeFileSync(out, TREE["a.bin"].subarray(0, 100000));
		const from = ctx.server.stderr.length;
		await must("wget", ["-nv", "--tries=1", "--timeout=20", "-c", "-O", out, `${ctx.server.url}/${urlPath(FOLDER, "a.bin")}`]);
		expect(shaOfFile(out)).to.equal(sha(TREE["a.bin"]));
		expect(ctx.server.stderr.slice(from)).to.include("> REST 100000\n");
	});
});
