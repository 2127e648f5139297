// GVfs (the FTP backend of Nautilus, Nemo, Thunar) through `gio`, in its own D-Bus session:
// a pool of connections, LIST -a, PASV then EPSV, SIZE, MDTM. The scenario, then 20 files
// in and out in one `gio copy` each.
import {expect} from "chai";
import {join} from "node:path";
import {mkdirSync, writeFileSync} from "node:fs";
import {FOLDER, sha, makeFile, shaOfFile, run, remote, serverPerSuite, localNames} from "./support.js";

const quote = text => `'${text.replaceAll("'", "'\\''")}'`;

/** Runs bash `lines` (set -e; `mark NAME` starts an output section) under dbus-run-session. */
async function gio(server, lines) {
	const scriptPath = join(server.dir, `gio-${Date.now()}.sh`);
	writeFileSync(scriptPath, ["set -euo pipefail", "mark() { echo \"@$1\"; }", `gio mount -a ${quote(server.url + "/")} </dev/null`,
		...lines, `gio mount -u ${quote(server.url + "/")} || true`, "mark done", ""].join("\n"));
	const result = await run("dbus-run-session", ["--", "bash", scriptPath], {timeout: 110000});
	const sections = {};
	let name = "";
	for (const line of result.stdout.split("\n")) {
		const m = /^@(\S+)$/.exec(line);
		if (m)
			sections[name = m[1]] = [];
		else if (name && line)
			sections[name].push(line);
	}
	// gio reports its failures as "gio: <uri>: <message>" on stderr
	const errors = result.stderr.split("\n").filter(l => /^gio: /.test(l));
	if ((result.code !== 0) || !sections.done || errors.length)
		throw new Error(`gio failed\n${result.text}`);
	return sections;
}

const uri = (server, ...components) => server.url + "/" + components.map(encodeURIComponent).join("/");

describe("clients: GVfs (gio)", function () {
	this.timeout(120000);
	const ctx = {};
	serverPerSuite(ctx, ["--image-size", String(16 * 1024 * 1024)]);

	it("completes the scenario: mount, list, mkdir, copy in, list, copy out, move, remove", async () => {
		const server = ctx.server;
		const local = join(server.dir, "gio");
		const data = makeFile(local, "up.bin", 800 * 1024 + 1);
		const s = await gio(server, [
			"mark root", `gio list -l ${quote(uri(server))}`,
			`gio mkdir ${quote(uri(server, FOLDER))}`,
			"mark made", `gio list -l ${quote(uri(server))}`,
			`gio copy ${quote(join(local, "up.bin"))} ${quote(uri(server, FOLDER, "fichier 1.bin"))}`,
			"mark uploaded", `gio list -l ${quote(uri(server, FOLDER) + "/")}`,
			`gio copy ${quote(uri(server, FOLDER, "fichier 1.bin"))} ${quote(join(local, "back.bin"))}`,
			`gio move ${quote(uri(server, FOLDER, "fichier 1.bin"))} ${quote(uri(server, FOLDER, "renommé.bin"))}`,
			"mark renamed", `gio list -l ${quote(uri(server, FOLDER) + "/")}`,
			`gio remove ${quote(uri(server, FOLDER, "renommé.bin"))}`,
			"mark deleted", `gio list ${quote(uri(server, FOLDER) + "/")}`,
			`gio remove ${quote(uri(server, FOLDER))}`,
			"mark removed", `gio list ${quote(uri(server))}`,
		]);
		expect(s.made).to.include(`${FOLDER}\t0\t(directory)`);
		expect(s.uploaded).to.deep.equal([`fichier 1.bin\t${data.length}\t(regular)`]);
		expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
		expect(s.renamed).to.deep.equal([`renommé.bin\t${data.length}\t(regular)`]);
		expect(s.deleted).to.deep.equal([]);
		expect(s.removed).not.to.include(FOLDER);
		expect(await remote(server)).not.to.have.property(FOLDER);
	});

	it("copies 20 files into the server in one gio copy and out again, byte-exact", async () => {
		const server = ctx.server;
		const local = join(server.dir, "gio20");
		const back = join(server.dir, "gio20-back");
		mkdirSync(back, {recursive: true});
		const names = Array.from({length: 20}, (_, i) => `fichier ${String(i + 1).padStart(2, "0")} é.bin`);
		const data = names.map((name, i) => makeFile(local, name, (i * 37 + 1) * 1024 + i));
		const folder = "vingt fichiers";
		const s = await gio(server, [
			`gio mkdir ${quote(uri(server, folder))}`,
			`gio copy ${names.map(n => quote(join(local, n))).join(" ")} ${quote(uri(server, folder) + "/")}`,
			"mark listed", `gio list -l ${quote(uri(server, folder) + "/")}`,
			`gio copy ${names.map(n => quote(uri(server, folder, n))).join(" ")} ${quote(back + "/")}`,
		]);
		expect([...s.listed].sort()).to.deep.equal(names.map((n, i) => `${n}\t${data[i].length}\t(regular)`));
		const listing = await remote(server, `/${folder}`);
		expect(Object.keys(listing).sort()).to.deep.equal(names);
		names.forEach((n, i) => expect(listing[n].size, n).to.equal(data[i].length));
		expect(localNames(back)).to.deep.equal(names);
		names.forEach((n, i) => expect(shaOfFile(join(back, n)), n).to.equal(sha(data[i])));
	});
});
