// The transfer log line's figures (modules/session/report.ts): rate units, durations, the line.
import {expect} from "chai";
import {report as R} from "./load.js";

describe("transfer report (log line and rates)", () => {
	it("gives a rate in decimal units, one decimal above bytes, and '-' when no time has passed", () => {
		expect(R.formatRate(512, 1000)).to.equal("512 B/s");
		expect(R.formatRate(999, 1000)).to.equal("999 B/s");
		expect(R.formatRate(3400, 1000)).to.equal("3.4 kB/s");
		expect(R.formatRate(1048576, 52)).to.equal("20.2 MB/s");
		expect(R.formatRate(1000, 0)).to.equal("-");
		expect(R.formatRate(0, 10)).to.equal("0 B/s");
	});

	it("gives durations in seconds with milliseconds", () => {
		expect(R.formatSeconds(52)).to.equal("0.052 s");
		expect(R.formatSeconds(61234)).to.equal("61.234 s");
		expect(R.formatSeconds(-3)).to.equal("0.000 s");
	});

	it("writes user, verb, path, bytes, duration, rate and outcome, with the cause of a failure", () => {
		expect(R.formatTransfer("admin", "RETR", "/big.bin", 1048576, 52, 226))
			.to.equal("admin RETR /big.bin: 1048576 bytes in 0.052 s (20.2 MB/s), 226");
		expect(R.formatTransfer("", "STOR", "/a b.bin", 4096, 1203, 426, "ECONNRESET: reset"))
			.to.equal("- STOR /a b.bin: 4096 bytes in 1.203 s (3.4 kB/s), 426 ECONNRESET: reset");
	});
});
