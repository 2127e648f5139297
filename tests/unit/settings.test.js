import {expect} from "chai";
import {settings, password} from "./load.js";

const {resolveOptions} = settings;
let asked = 0;
const generate = () => { asked++; return "Generated234"; };
const resolve = (options, config = {}) => resolveOptions(options, config, generate);

describe("public options (module ftpd) and the secure default", () => {
	beforeEach(() => { asked = 0; });

	it("takes each option, else the mcconfig setting, else the default", () => {
		const r = resolve({port: 2200}, {ftpPort: "21", ftpMaxSessions: "2", ftpVerbose: "2", ftpHost: "127.0.0.1"});
		expect(r.options).to.include({port: 2200, maxSessions: 2, verbose: 2, host: "127.0.0.1"});
		const d = resolve({}, {});
		expect(d.options).to.include({port: 21, maxSessions: 4, verbose: 1, host: "0.0.0.0"});
	});

	it("reads the account from options or settings; with one, anonymous is off and nothing is generated", () => {
		const r = resolve({}, {ftpUser: "admin", ftpPassword: "secret"});
		expect(r.options).to.include({user: "admin", password: "secret", anonymous: "off"});
		expect(r.generated).to.equal(false);
		expect(asked).to.equal(0);
		expect(resolve({user: "me", password: "pw"}, {ftpUser: "admin"}).options).to.include({user: "me", password: "pw"});
	});

	it("off loopback without an account or an anonymous setting: the account ftp with the generated password", () => {
		const r = resolve({host: "0.0.0.0"});
		expect(r.generated).to.equal(true);
		expect(r.options).to.include({user: "ftp", password: "Generated234", anonymous: "off"});
		expect(asked).to.equal(1);
	});

	it("on loopback without an account: anonymous write, nothing generated", () => {
		const r = resolve({host: "127.0.0.1"});
		expect(r.generated).to.equal(false);
		expect(r.options.anonymous).to.equal("write");
		expect(r.options.user).to.equal(undefined);
		expect(asked).to.equal(0);
	});

	it("anonymous access only when asked for, then as asked, off loopback too", () => {
		for (const anonymous of ["read", "write", "off"]) {
			const r = resolve({host: "0.0.0.0"}, {ftpAnonymous: anonymous});
			expect(r.generated).to.equal(false);
			expect(r.options.anonymous).to.equal(anonymous);
		}
		expect(asked).to.equal(0);
	});

	it("reads passive ports as a range, a port or a pair; timeouts in ms", () => {
		expect(resolve({passivePorts: "50000-50010"}).options).to.include({passivePortMin: 50000, passivePortMax: 50010});
		expect(resolve({}, {ftpPassivePorts: "50000"}).options).to.include({passivePortMin: 50000, passivePortMax: 50000});
		expect(resolve({passivePorts: [60000, 60001]}).options).to.include({passivePortMin: 60000, passivePortMax: 60001});
		expect(resolve({idleTimeout: 1500, dataGrace: 0}).options).to.include({idleTimeout: 1500, dataGrace: 0});
	});

	for (const [options, message] of [
		[{port: 70000}, /port must be an integer from 0 to 65535/],
		[{port: "x"}, /port/],
		[{verbose: 3}, /verbose/],
		[{anonymous: "yes"}, /anonymous must be "off", "read" or "write"/],
		[{passivePorts: "50010-50000"}, /passivePorts/],
		[{passivePorts: "80"}, /passivePorts must be an integer from 1024/],
		[{maxSessions: 0}, /maxSessions/],
		[{idleTimeout: -1}, /idleTimeout/],
	]) {
		it(`refuses ${JSON.stringify(options)} with a RangeError that names it`, () => {
			expect(() => resolve(options)).to.throw(RangeError, message);
		});
	}

	it("generates 12 letters and digits without look-alikes, evenly from random bytes", () => {
		let i = 0;
		const bytes = [255, 250, 228, 0, 1, 56, 57, 100, 113, 114, 200, 227, 3, 4, 5, 6];
		const made = password.makePassword(() => bytes[i++ % bytes.length]);
		expect(made).to.match(/^[a-km-zA-HJ-NP-Z2-9]{12}$/);
		// bytes 228 and up are skipped (57 × 4 = 228), so the first letter comes from 0
		expect(made[0]).to.equal("a");
	});
});
