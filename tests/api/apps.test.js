// Apps built on the one include (modules/manifest.json), as a user builds them from the README:
//   - an app of the user's own, in a folder outside the project (a main that writes a file with
//     the SDK's `file` API and starts the server with ftpd.start({port})): its x-cli-lin build
//     runs headless, its main runs and the server serves the file; its esp32 and esp JavaScript
//     builds pass and carry the ECMA-419 socket modules the server needs;
//   - the SDK's LittleFS file manifest beside ours stops the build with our one message;
//   - the standalone example's x-cli-lin build runs and traces its URL.
// Builds are slow on a small machine: each is made once, in build/ (the user's app in a folder
// of its own there, so its build is reused by the next run).
import {expect} from "chai";
import {Client} from "basic-ftp";
import {spawnSync} from "node:child_process";
import {runApp, stopApp} from "./support.js";
import {mkdirSync, writeFileSync, readFileSync, existsSync, mkdtempSync, rmSync, readdirSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {Writable} from "node:stream";
import {projectRoot, buildHost, requireSDK, sdkEnv} from "../../scripts/sdk.js";
import {buildDeviceJS} from "../../scripts/device-js.js";

// the README's "Add the server to your app", word for word but for the project's path
const userManifest = include => `{
	"include": [
		"$(MODDABLE)/examples/manifest_base.json",
		"${include}"
	],
	"modules": {
		"main": "./main"
	},
	"platforms": {
		"esp32": {"include": "$(MODDABLE)/examples/manifest_net.json"},
		"esp": {"include": "$(MODDABLE)/examples/manifest_net.json"}
	}
}
`;

const userMain = `import ftpd from "ftpd";
import {File} from "file";

export default function main() {
	const server = ftpd.start({port: 2121});	// mounts the flash (on Linux: ./ftpd.lfs)
	const file = new File("/hello.txt", true);
	file.write("Hello from my app\\n");
	file.close();
	trace(\`my app: \${server.url()}\\n\`);
}
`;

async function download(port, name, user = "anonymous", password = "test@") {
	const client = new Client(20000);
	try {
		await client.access({host: "127.0.0.1", port, user, password});
		const chunks = [];
		await client.downloadTo(new Writable({write(chunk, _, done) { chunks.push(chunk); done(); }}), name);
		return Buffer.concat(chunks).toString("utf8");
	}
	finally {
		client.close();
	}
}

describe("a user's own app on the one include", function () {
	this.timeout(900000);
	const folder = join(projectRoot, "build", "user-app", "myapp");
	let binary, work;
	before(() => {
		mkdirSync(folder, {recursive: true});
		writeFileSync(join(folder, "manifest.json"), userManifest(join(projectRoot, "modules", "manifest.json")));
		// the README's main asks for port 2121, which another server may hold on a shared machine:
		// this copy asks for any free port
		writeFileSync(join(folder, "main.js"), userMain.replace("{port: 2121}", "{port: 0}"));
		work = mkdtempSync(join(tmpdir(), "ftpd-app-"));
	});
	after(() => { rmSync(work, {recursive: true, force: true}); });

	it("builds with mcconfig -m -p x-cli-lin", () => {
		buildHost({manifest: join(folder, "manifest.json"), name: "user-app/build", quiet: true});
		binary = join(projectRoot, "build", "user-app", "build", "bin", "lin", "release", "myapp");
		expect(existsSync(binary), binary).to.equal(true);
	});

	it("runs its main, and ftpd.start({port}) serves the file main wrote", async () => {
		expect(binary, "the build above").to.be.a("string");
		const app = await runApp(binary, {cwd: work, ready: /^my app: (ftp:\/\/\S+)$/m});
		try {
			const url = new URL(app.match[1]);
			expect(url.hostname).to.equal("127.0.0.1");
			expect(await download(Number(url.port), "hello.txt")).to.equal("Hello from my app\n");
			// the image is where the README says, beside the app
			expect(existsSync(join(work, "ftpd.lfs"))).to.equal(true);
		}
		finally {
			await stopApp(app);
		}
	});

	for (const target of ["esp32", "esp"]) {
		it(`builds the JavaScript half for ${target}, with the socket modules the server needs`, () => {
			const build = buildDeviceJS({manifest: join(folder, "manifest.json"), target, out: join(projectRoot, "build", "user-app", target), args: ["ssid=check", "password=check"]});
			expect(build.ok, build.output).to.equal(true);
			const modules = readdirSync(join(build.tmp, "modules"), {recursive: true}).map(String);
			for (const module of ["~.embedded/io/socket/tcp.xsb", "~.embedded/io/socket/listener.xsb", "ftpd.xsb", "ftpd/server/api.xsb", "volume.xsb", "ftpsock.xsb", "tcppeer.xsb", "file.xsb", "preference.xsb"])
				expect(modules, module).to.include(module);
			// preloaded, so the server is in flash whether or not the app preloads main
			const image = readFileSync(join(build.tmp, "mc.xs.c"), "utf8");
			expect(image).to.include("embedded:io/socket/listener");
			expect(image).to.include("ftpd/server/api");
		});
	}
});

describe("the SDK's LittleFS file manifest beside the include", function () {
	this.timeout(300000);

	it("stops the build with one message saying what to remove", () => {
		const sdk = requireSDK();
		const folder = join(projectRoot, "build", "user-app", "twofiles");
		rmSync(folder, {recursive: true, force: true});
		mkdirSync(folder, {recursive: true});
		writeFileSync(join(folder, "manifest.json"), JSON.stringify({
			include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODULES)/files/file/manifest_littlefs.json", join(projectRoot, "modules", "manifest.json")],
			modules: {main: "./main"},
		}));
		writeFileSync(join(folder, "main.js"), "export default function main() {}\n");
		// the makefile only, then the one object that checks: a whole build would take minutes
		const out = join(folder, "out");
		mkdirSync(out);
		const config = spawnSync(join(sdk, "build", "bin", "lin", "release", "mcconfig"), ["-p", "x-cli-lin", "-o", out, join(folder, "manifest.json")], {cwd: folder, env: sdkEnv(sdk), encoding: "utf8"});
		expect(config.status, config.stdout + config.stderr).to.equal(0);
		const tmp = join(out, "tmp", "lin", "release", "twofiles");
		const make = spawnSync("make", ["-f", "makefile", join(tmp, "fileGuard.c.o")], {cwd: tmp, env: sdkEnv(sdk), encoding: "utf8"});
		expect(make.status).to.not.equal(0);
		expect(make.stderr).to.match(/#error "moddable-ftpd: remove the SDK's file manifest/);
	});
});

describe("examples/standalone on the Linux host", function () {
	this.timeout(600000);

	it("builds for x-cli-lin, starts the server on the public API and traces its URL", async () => {
		const binary = join(buildHost({manifest: join(projectRoot, "examples", "standalone", "manifest.json"), name: "example-standalone", quiet: true}), "..", "standalone");
		const work = mkdtempSync(join(tmpdir(), "ftpd-standalone-"));
		const app = await runApp(binary, {cwd: work, env: {FTPD_PORT: "0"}, ready: /^<info>ftpd: (ftp:\/\/\S+)$/m});
		try {
			const url = new URL(app.match[1]);
			const client = new Client(20000);
			await client.access({host: "127.0.0.1", port: Number(url.port), user: "anonymous", password: "x@"});
			expect(await client.list("/")).to.be.an("array");
			client.close();
		}
		finally {
			await stopApp(app);
			rmSync(work, {recursive: true, force: true});
		}
	});
});
