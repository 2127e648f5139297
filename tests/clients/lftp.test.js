// lftp with its defaults: FEAT before login, AUTH TLS (refused: it must go on in plain FTP),
// OPTS UTF8, then the scenario, passive and active; and a tree up and down with mirror.
import {expect} from "chai";
import {join} from "node:path";
import {mkdirSync} from "node:fs";
import {FOLDER, sha, makeFile, shaOfFile, run, remote, serverPerSuite, localNames} from "./support.js";

/** Runs an lftp script (`-d`: the protocol dialogue on stderr); fails on the first failing command. */
async function lftp(server, script, settings = []) {
	const preamble = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 20", "set net:reconnect-interval-base 1", ...settings];
	const result = await run("lftp", ["-d", "-u", "anonymous,test@", "-p", String(server.port), "-e", [...preamble, ...script, "bye"].join("; "), server.host],
		{timeout: 90000});
	if (result.code !== 0)
		throw new Error(`lftp failed\n${result.text}`);
	return result;
}

/** stdout split at `echo @name` markers. */
function sections(stdout) {
	const out = {};
	let name = "";
	for (const line of stdout.split("\n")) {
		const m = /^@(\S+)$/.exec(line);
		if (m)
			out[name = m[1]] = "";
		else if (name)
			out[name] += line + "\n";
	}
	return out;
}

describe("clients: lftp", function () {
	this.timeout(120000);
	const ctx = {};
	serverPerSuite(ctx);

	for (const mode of [{name: "passive (default)", settings: [], verb: /> PASV|> EPSV/}, {name: "active", settings: ["set ftp:passive-mode off"], verb: /> PORT|> EPRT/}]) {
		it(`completes the scenario with its defaults, ${mode.name}; AUTH TLS is refused and lftp goes on`, async () => {
			const server = ctx.server;
			const folder = `${FOLDER} ${mode.settings.length}`;
			const local = join(server.dir, `lftp-${mode.settings.length}`);
			const data = makeFile(local, "up.bin", 512 * 1024 + 9);
			const from = server.stderr.length;
			const result = await lftp(server, [
				"echo @root", "ls",
				`mkdir "${folder}"`,
				"echo @made", "ls",
				`cd "${folder}"`,
				`put ${join(local, "up.bin")} -o "fichier 1.bin"`,
				"echo @uploaded", "ls",
				`get "fichier 1.bin" -o ${join(local, "back.bin")}`,
				`mv "fichier 1.bin" "renommé.bin"`,
				"echo @renamed", "ls",
				`rm "renommé.bin"`,
				"echo @deleted", "ls",
				"cd ..",
				`rmdir "${folder}"`,
				"echo @removed", "ls",
			], mode.settings);
			const log = server.stderr.slice(from);
			// the TLS attempt failed cleanly and the session went on in plain FTP
			expect(result.stderr).to.match(/---> AUTH TLS\s*\n<--- 502 /);
			expect(result.stderr).to.match(/---> USER anonymous/);
			expect(log).to.match(mode.verb);
			const s = sections(result.stdout);
			expect(s.made).to.match(new RegExp(`^d.* ${folder}$`, "m"));
			expect(s.uploaded).to.match(new RegExp(`^-rw-r--r-- 1 ftp ftp +${data.length} .* fichier 1\\.bin$`, "m"));
			expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
			expect(s.renamed).to.match(new RegExp(` ${data.length} .* renommé\\.bin$`, "m"));
			expect(s.renamed).not.to.include("fichier 1.bin");
			expect(s.deleted).to.equal("");
			expect(s.removed).not.to.include(folder);
			expect(await remote(server)).not.to.have.property(folder);
		});
	}

	it("downloads one file in parallel segments (pget -n 4: several sessions, REST), byte-exact", async () => {
		const server = ctx.server;
		const local = join(server.dir, "lftp-pget");
		const data = makeFile(local, "big.bin", 3 * 1024 * 1024 + 7);
		const from = server.stderr.length;
		await lftp(server, [`put ${join(local, "big.bin")} -o "segments é.bin"`, "set pget:min-chunk-size 262144", "set net:limit-rate 2000000",
			`pget -n 4 "segments é.bin" -o ${join(local, "back.bin")}`]);
		expect(shaOfFile(join(local, "back.bin"))).to.equal(sha(data));
		expect(server.stderr.slice(from)).to.match(/> REST [1-9]\d*\n/);
	});

	it("mirrors a tree up (mirror -R) and back down, byte-exact", async () => {
		const server = ctx.server;
		const up = join(server.dir, "lftp-tree");
		const files = {"a.bin": 200 * 1024, "b é.bin": 3, "sub dir/c.bin": 90 * 1024, "sub dir/d.txt": 0};
		const data = {};
		for (const [path, size] of Object.entries(files)) {
			const slash = path.lastIndexOf("/");
			data[path] = makeFile(join(up, path.slice(0, Math.max(slash, 0))), path.slice(slash + 1), size);
		}
		const down = join(server.dir, "lftp-tree-back");
		mkdirSync(down);
		await lftp(server, [`mirror -R ${up} "arbre été"`, `mirror "arbre été" ${down}`]);
		// mirror copies the content of a folder into another
		expect(localNames(down)).to.deep.equal(["a.bin", "b é.bin", "sub dir"]);
		for (const path of Object.keys(files))
			expect(shaOfFile(join(down, path)), path).to.equal(sha(data[path]));
		const listing = await remote(server, "/arbre été/sub dir");
		expect(listing).to.deep.equal({"c.bin": {size: 90 * 1024, directory: false}, "d.txt": {size: 0, directory: false}});
	});
});
