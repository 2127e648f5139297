// curl drives the whole scenario in each data-connection mode it has: EPSV (its default),
// PASV, active EPRT (-P -) and active PORT (--ftp-port - --disable-eprt). Every step is
// checked in curl's output and again through an independent client.
import {expect} from "chai";
import {join} from "node:path";
import {writeFileSync} from "node:fs";
import {FOLDER, sha, makeFile, shaOfFile, urlPath, must, remote, fetchRemote, serverPerTest} from "./support.js";

const MODES = [
	{name: "EPSV (default)", flags: [], verb: "EPSV"},
	{name: "PASV (--disable-epsv)", flags: ["--disable-epsv"], verb: "PASV"},
	{name: "active EPRT (-P -)", flags: ["-P", "-"], verb: "EPRT"},
	{name: "active PORT (--ftp-port - --disable-eprt)", flags: ["--ftp-port", "-", "--disable-eprt"], verb: "PORT"},
];

/** An `ls -l` line of LIST output for `name` with `size` bytes. */
function listLine(name, size) {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
	return new RegExp(`^-rw-r--r-- 1 ftp ftp +${size} [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) ${escaped}\\r?$`, "m");
}

function dirLine(name) {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
	return new RegExp(`^d[-rwx]{9} 1 ftp ftp +\\d+ [A-Z][a-z]{2} [ \\d]\\d (\\d\\d:\\d\\d| \\d{4}) ${escaped}\\r?$`, "m");
}

describe("clients: curl", function () {
	this.timeout(120000);
	const ctx = {};
	// a fresh image per test: a mode that fails leaves its folder and files to itself
	serverPerTest(ctx);

	for (const mode of MODES) {
		it(`completes the scenario in ${mode.name}`, async () => {
			const server = ctx.server;
			// the server log of curl's own sessions (the independent checks use EPSV)
			let log = "";
			const curl = async (...args) => {
				const from = server.stderr.length;
				try {
					return await must("curl", ["-sS", "--max-time", "30", ...mode.flags, ...args]);
				}
				finally {
					log += server.stderr.slice(from);
				}
			};
			const base = `${server.url}/`;
			const folder = `${FOLDER} ${mode.verb}`;
			const local = join(server.dir, `curl-${mode.verb}`);
			const data = makeFile(local, "up.bin", 700 * 1024 + 3);

			// login and list
			await curl(base);
			// make the folder; the listing that follows shows it
			const made = await curl("-Q", `MKD ${folder}`, base);
			expect(made.stdout).to.match(dirLine(folder));
			// upload into it
			await curl("-T", join(local, "up.bin"), base + urlPath(folder, "fichier 1.bin"));
			// list it: exact size
			const listed = await curl(base + urlPath(folder) + "/");
			expect(listed.stdout).to.match(listLine("fichier 1.bin", data.length));
			// download and compare
			await curl("-o", join(local, "back.bin"), base + urlPath(folder, "fichier 1.bin"));
			expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
			// rename
			const renamed = await curl("-Q", `RNFR /${folder}/fichier 1.bin`, "-Q", `RNTO /${folder}/renommé.bin`, base + urlPath(folder) + "/");
			expect(renamed.stdout).to.match(listLine("renommé.bin", data.length));
			expect(renamed.stdout).not.to.include("fichier 1.bin");
			expect(await remote(server, `/${folder}`)).to.deep.equal({"renommé.bin": {size: data.length, directory: false}});
			// delete
			const deleted = await curl("-Q", `DELE /${folder}/renommé.bin`, base + urlPath(folder) + "/");
			expect(deleted.stdout).to.equal("");
			// remove the folder
			const removed = await curl("-Q", `RMD /${folder}`, base);
			expect(removed.stdout).not.to.include(folder);
			expect(await remote(server)).not.to.have.property(folder);

			// the mode really was the one asked for
			expect(log).to.match(new RegExp(`> ${mode.verb}(\\s|$)`, "m"));
			for (const other of MODES.filter(m => m.verb !== mode.verb))
				expect(log, `curl used ${other.verb}`).not.to.match(new RegExp(`> ${other.verb}(\\s|$)`, "m"));
		});
	}

	it("resumes a download (-C -: REST + RETR) and an upload (-C - -T: SIZE + APPE), byte-exact", async () => {
		const server = ctx.server;
		const local = join(server.dir, "curl-resume");
		const data = makeFile(local, "whole.bin", 2 * 1024 * 1024 + 5);
		const url = `${server.url}/${urlPath("reprise é.bin")}`;
		const from = server.stderr.length;
		await must("curl", ["-sS", "-T", join(local, "whole.bin"), url]);
		// a download cut at 700 000 bytes goes on from there
		writeFileSync(join(local, "down.bin"), data.subarray(0, 700000));
		await must("curl", ["-sS", "-C", "-", "-o", join(local, "down.bin"), url]);
		expect(shaOfFile(join(local, "down.bin"))).to.equal(sha(data));
		// an upload cut at 1 000 000 bytes goes on from there
		writeFileSync(join(local, "first.bin"), data.subarray(0, 1000000));
		await must("curl", ["-sS", "-T", join(local, "first.bin"), url]);
		await must("curl", ["-sS", "-C", "-", "-T", join(local, "whole.bin"), url]);
		expect(sha(await fetchRemote(server, "/reprise é.bin"))).to.equal(sha(data));
		const log = server.stderr.slice(from);
		expect(log).to.include("> REST 700000\n");
		expect(log).to.include("> APPE reprise é.bin\n");
	});
});
