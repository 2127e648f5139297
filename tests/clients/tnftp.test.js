// tnftp (the BSD/macOS ftp), scripted on stdin: EPSV first (a 2xx other than 229 would be a
// "parse error"), then the scenario, passive and active. tnftp exits 0 whatever the replies,
// so its transcript (-v) is checked reply by reply, and listings go to local files.
import {expect} from "chai";
import {join} from "node:path";
import {readFileSync} from "node:fs";
import {FOLDER, sha, makeFile, shaOfFile, run, remote, serverPerSuite} from "./support.js";

async function tnftp(server, lines) {
	const result = await run("tnftp", ["-i", "-n", "-v", server.host, String(server.port)],
		{input: ["user anonymous test@", ...lines, "quit", ""].join("\n"), timeout: 90000});
	if (result.code !== 0)
		throw new Error(`tnftp failed\n${result.text}`);
	return result;
}

describe("clients: tnftp", function () {
	this.timeout(120000);
	const ctx = {};
	serverPerSuite(ctx);

	for (const mode of [{name: "passive (EPSV)", lines: [], verb: /> EPSV\n/}, {name: "active (passive off)", lines: ["passive off"], verb: /> (EPRT|PORT) /}]) {
		it(`completes the scenario, ${mode.name}`, async () => {
			const server = ctx.server;
			const folder = `${FOLDER} ${mode.lines.length}`;
			const local = join(server.dir, `tnftp-${mode.lines.length}`);
			const data = makeFile(local, "up.bin", 600 * 1024 + 5);
			const listing = n => join(local, `list${n}.txt`);
			const from = server.stderr.length;
			const result = await tnftp(server, [
				...mode.lines,
				"binary",
				`ls . ${listing(1)}`,
				`mkdir "${folder}"`,
				`cd "${folder}"`,
				`put ${join(local, "up.bin")} "fichier 1.bin"`,
				`ls . ${listing(2)}`,
				`get "fichier 1.bin" ${join(local, "back.bin")}`,
				`rename "fichier 1.bin" "renommé.bin"`,
				`ls . ${listing(3)}`,
				`delete "renommé.bin"`,
				"cd ..",
				`rmdir "${folder}"`,
				`ls . ${listing(4)}`,
			]);
			const transcript = result.stdout;
			expect(transcript, result.text).not.to.match(/^[45]\d\d /m);
			expect(transcript).to.include(`257 "/${folder}" created.`);
			expect(transcript).to.include(`250 Directory changed to /${folder}.`);
			expect(transcript).to.include("350 Ready for RNTO.");
			expect(transcript).to.include("250 Rename successful.");
			expect(transcript).to.include("250 File deleted.");
			expect(transcript).to.include("250 Directory removed.");
			expect(transcript.match(/^226 /gm)).to.have.length(6);
			expect(server.stderr.slice(from)).to.match(mode.verb);

			expect(readFileSync(listing(2), "utf8")).to.match(new RegExp(`^-rw-r--r-- 1 ftp ftp +${data.length} .* fichier 1\\.bin\\r?$`, "m"));
			expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
			const renamed = readFileSync(listing(3), "utf8");
			expect(renamed).to.match(new RegExp(` ${data.length} .* renommé\\.bin\\r?$`, "m"));
			expect(renamed).not.to.include("fichier 1.bin");
			expect(readFileSync(listing(4), "utf8")).not.to.include(folder);
			expect(await remote(server)).not.to.have.property(folder);
		});
	}
});
