import {expect} from "chai";
import {readFileSync} from "node:fs";
import {cli, options} from "./load.js";

const none = () => undefined;
const parse = (args, env = {}) => cli.parseCommandLine(args, name => env[name]);

describe("Linux host command line", () => {
	it("has the documented defaults", () => {
		const s = parse([]);
		expect(s.server).to.include({host: "127.0.0.1", port: 2121, maxSessions: 8});
		expect(s.image).to.equal("./ftpd.lfs");
		expect(s.imageSize).to.equal(4 * 1024 * 1024);
		expect(s.root).to.equal(undefined);
	});
	it("reads flags, --flag=value, and FTPD_* variables, flags winning", () => {
		const s = parse(["--port", "2200", "--verbose=2", "--user", "u", "--password", "p"], {FTPD_PORT: "9999", FTPD_HOST: "0.0.0.0", FTPD_MAX_SESSIONS: "3"});
		expect(s.server).to.include({port: 2200, host: "0.0.0.0", verbose: 2, user: "u", password: "p", maxSessions: 3});
	});
	it("serves a folder with --root", () => {
		const s = parse(["--root", "/tmp/x"]);
		expect(s.root).to.equal("/tmp/x");
		expect(s.image).to.equal(undefined);
	});
	it("turns timeouts in seconds into ms, and reads a passive range", () => {
		const s = parse(["--idle-timeout", "1.5", "--passive-ports", "50000-50010"]);
		expect(s.server).to.include({idleTimeout: 1500, passivePortMin: 50000, passivePortMax: 50010});
	});
	it("reads --data-grace (seconds, 0: never) and FTPD_DATA_GRACE; the default is 3 s", () => {
		expect(parse(["--data-grace", "0.5"]).server).to.include({dataGrace: 500});
		expect(parse([], {FTPD_DATA_GRACE: "0"}).server).to.include({dataGrace: 0});
		expect(options.makeOptions({}).dataGrace).to.equal(3000);
		expect(() => parse(["--data-grace", "soon"])).to.throw(/--data-grace must be a number of seconds/);
	});
	for (const [args, message] of [
		[["--port", "70000"], /--port/],
		[["--port"], /needs a value/],
		[["--bogus"], /unknown option --bogus/],
		[["--verbose", "3"], /--verbose/],
		[["--user", "u"], /go together/],
		[["--root", "/a", "--image", "b"], /together/],
		[["--host", "localhost"], /IPv4/],
		[["--image-size", "5000"], /image-size/],
		[["--anonymous", "maybe"], /anonymous/],
	]) {
		it(`refuses ${args.join(" ")}`, () => {
			expect(() => parse(args)).to.throw(message);
		});
	}
	it("without an account, anonymous users may write; with one, anonymous is off", () => {
		expect(options.makeOptions({}).anonymous).to.equal("write");
		expect(options.makeOptions({user: "u", password: "p"}).anonymous).to.equal("off");
		expect(options.makeOptions({anonymous: "read"}).anonymous).to.equal("read");
	});
	void none;
});

describe("Linux host: --version and the causes of a failed start", () => {
	it("--version (or -V) asks for the version, which is package.json's", () => {
		expect(parse(["--version"]).version).to.equal(true);
		expect(parse(["-V"]).version).to.equal(true);
		expect(parse([]).version).to.equal(false);
		const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
		expect(cli.version).to.equal(pkg.version);
		expect(cli.usage).to.include("--version");
	});
	it("names the cause of a volume that does not mount", () => {
		const image = parse([]), root = parse(["--root", "/srv"]);
		expect(cli.describeMountError("EBUSY", image)).to.equal("image is in use by another ftpd (locked)");
		expect(cli.describeMountError("EFTYPE", image)).to.equal("not a LittleFS image (will not format an existing file)");
		expect(cli.describeMountError("ENOENT", image)).to.equal("its folder does not exist");
		expect(cli.describeMountError("ENOENT", root)).to.equal("no such folder");
		expect(cli.describeMountError("EISDIR", image)).to.match(/use --root/);
		expect(cli.describeMountError("EWHAT", image)).to.equal("EWHAT");
	});
	it("names the cause of a port it cannot listen on", () => {
		const s = parse(["--port", "2121", "--host", "10.9.9.9"]);
		expect(cli.describeListenError("bind failed: Address already in use", s)).to.equal("port 2121 is in use by another program (choose another with --port, or --port 0 for any free port)");
		expect(cli.describeListenError("bind failed: Permission denied", s)).to.match(/^port 2121 needs privileges/);
		expect(cli.describeListenError("bind failed: Cannot assign requested address", s)).to.equal("10.9.9.9 is not an address of this machine (--host)");
		expect(cli.describeListenError("something else", s)).to.equal("something else");
	});
});
