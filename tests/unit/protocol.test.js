import {expect} from "chai";
import {utf8, lines, reply, address} from "./load.js";

function split(...chunks) {
	const out = [];
	const splitter = new lines.LineSplitter({line: text => out.push(text), invalid: problem => out.push({problem})});
	for (const chunk of chunks)
		splitter.feed(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Uint8Array.from(chunk));
	return out;
}

describe("LineSplitter", () => {
	it("switches to Telnet handling in the middle of a chunk, and back", () => {
		const chunk = [...Buffer.from("NOOP\r\nST"), 0xFF, 0xF4, ...Buffer.from("AT\r\n"), 0xFF, 0xF2, ...Buffer.from("ABOR\r\n")];
		expect(split(chunk, "PWD\r\n")).to.deep.equal(["NOOP", "STAT", "ABOR", "PWD"]);
	});

	it("checks UTF-8 of a line whose non-ASCII bytes came in an earlier chunk", () => {
		const name = Buffer.from("RETR caf\u00e9\r\n");
		expect(split(name.subarray(0, 9), name.subarray(9))).to.deep.equal(["RETR caf\u00e9"]);
		expect(split([0x52, 0xC3], [0x28, 0x0D, 0x0A])).to.deep.equal([{problem: "not UTF-8"}]);
		expect(split("A\u00e9", "\r\nB\r\n")).to.deep.equal(["A\u00e9", "B"]);
	});

	it("keeps each splitter's unfinished line apart, though they share one buffer", () => {
		const a = [], b = [];
		const sa = new lines.LineSplitter({line: text => a.push(text), invalid: p => a.push({p})});
		const sb = new lines.LineSplitter({line: text => b.push(text), invalid: p => b.push({p})});
		sa.feed(Buffer.from("USER a"));
		sb.feed(Buffer.from("PASS b"));
		sa.feed(Buffer.from("lice\r\nNO"));
		sb.feed(Buffer.from("ob\r\n"));
		sa.feed(Buffer.from("OP\r\n"));
		expect(a).to.deep.equal(["USER alice", "NOOP"]);
		expect(b).to.deep.equal(["PASS bob"]);
	});

	it("a sink that feeds another splitter from inside line() does not disturb the line being cut", () => {
		const inner = [];
		const other = new lines.LineSplitter({line: text => inner.push(text), invalid: () => {}});
		const outer = [];
		const first = new lines.LineSplitter({
			line(text) {
				outer.push(text);
				other.feed(Buffer.from("XXXXXXXXXXXXXXXXXXXXXXXX\r\n"));
			},
			invalid() {},
		});
		first.feed(Buffer.from("ONE\r\nTWO\r\nTHR"));
		first.feed(Buffer.from("EE\r\n"));
		expect(outer).to.deep.equal(["ONE", "TWO", "THREE"]);
		expect(inner).to.have.lengthOf(3);
	});

	it("splits CRLF and bare LF lines, across chunks", () => {
		expect(split("USER a\r\nPA", "SS b\r", "\nNOOP\n")).to.deep.equal(["USER a", "PASS b", "NOOP"]);
	});
	it("keeps a partial line until its end arrives", () => {
		expect(split("LIST")).to.deep.equal([]);
	});
	it("decodes UTF-8 names", () => {
		expect(split("MKD dossier été ✓\r\n")).to.deep.equal(["MKD dossier été ✓"]);
	});
	it("accepts a 1024-byte line and rejects a 1025-byte one, then goes on", () => {
		const ok = "X".repeat(1024), long = "Y".repeat(1025);
		expect(split(ok + "\r\n", long + "\r\nNOOP\r\n")).to.deep.equal([ok, {problem: "too long"}, "NOOP"]);
	});
	it("discards the rest of a huge line without keeping it", () => {
		expect(split("A".repeat(100000), "\r\nNOOP\r\n")).to.deep.equal([{problem: "too long"}, "NOOP"]);
	});
	it("rejects NUL and invalid UTF-8", () => {
		expect(split([0x4e, 0x00, 0x0a], [0x43, 0x57, 0x44, 0x20, 0xc3, 0x28, 0x0a])).to.deep.equal([{problem: "NUL"}, {problem: "not UTF-8"}]);
		expect(split([0xc0, 0xaf, 0x0a])).to.deep.equal([{problem: "not UTF-8"}]);
		expect(split([0xed, 0xa0, 0x80, 0x0a])).to.deep.equal([{problem: "not UTF-8"}]);
	});
	it("drops Telnet IP/DM before ABOR, keeps IAC IAC as 0xFF", () => {
		expect(split([0xff, 0xf4, 0xff, 0xf2, ...Buffer.from("ABOR\r\n")])).to.deep.equal(["ABOR"]);
		expect(split([0xff, 0xfb, 0x01, ...Buffer.from("NOOP\r\n")])).to.deep.equal(["NOOP"]);
	});
	it("ends the line at an LF right after an IAC (or IAC WILL), in one chunk or split after the IAC", () => {
		const noop = [...Buffer.from("NOOP")];
		expect(split([...noop, 0xff, 0x0a, ...Buffer.from("PWD\r\n")])).to.deep.equal(["NOOP", "PWD"]);
		expect(split([...noop, 0xff, 0x0d, 0x0a, ...Buffer.from("PWD\r\n")])).to.deep.equal(["NOOP", "PWD"]);
		expect(split([...noop, 0xff, 0xfb, 0x0a, ...Buffer.from("PWD\r\n")])).to.deep.equal(["NOOP", "PWD"]);
		expect(split([...noop, 0xff], [0x0a], "PWD\r\n")).to.deep.equal(["NOOP", "PWD"]);
		expect(split([...noop, 0xff, 0xfd], [0x0a, ...Buffer.from("PWD\r\n")])).to.deep.equal(["NOOP", "PWD"]);
		// after it, Telnet handling is as before: IAC IAC is still a data byte
		expect(split([...noop, 0xff, 0x0a, 0x41, 0xff, 0xff, 0x0a])).to.deep.equal(["NOOP", {problem: "not UTF-8"}]);
	});
	it("gives every fuzzed line its own line or problem, whatever bytes come before its LF", () => {
		// deterministic pseudo-random bytes (no LF inside a line): one result per line, always
		let seed = 11;
		const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
		const bytes = [];
		const count = 2000;
		for (let n = 0; n < count; n++) {
			const length = Math.floor(random() * 12);
			for (let i = 0; i < length; i++) {
				const pick = random();
				bytes.push(pick < 0.3 ? 0xff : pick < 0.4 ? 0xfb + Math.floor(random() * 4) : 0x20 + Math.floor(random() * 0x5f));
			}
			bytes.push(...(random() < 0.5 ? [0x0d, 0x0a] : [0x0a]));
		}
		const chunks = [];
		for (let at = 0; at < bytes.length;) {
			const size = 1 + Math.floor(random() * 50);
			chunks.push(bytes.slice(at, at + size));
			at += size;
		}
		expect(split(...chunks)).to.have.lengthOf(count);
	});
});

describe("verbOf", () => {
	it("upper-cases the verb", () => {
		expect(lines.verbOf("stor  my file ")).to.equal("STOR");
		expect(lines.verbOf("abor")).to.equal("ABOR");
	});
});

describe("utf8", () => {
	it("decodes and measures text with astral characters", () => {
		const text = "a é ✓ 😀 z";
		const bytes = new Uint8Array(Buffer.from(text, "utf8"));
		expect(utf8.decodeUTF8(bytes, 0, bytes.length)).to.equal(text);
		expect(utf8.utf8Length(text)).to.equal(Buffer.byteLength(text));
	});
});

describe("replies", () => {
	it("formats single and multi-line replies", () => {
		expect(reply.formatReply(200, "ok")).to.equal("200 ok\r\n");
		expect(reply.formatReply(211, "Features:\nSIZE\nEnd")).to.equal("211-Features:\r\n SIZE\r\n211 End\r\n");
	});
	it("doubles quotes in 257 paths", () => {
		expect(reply.quotePath('/a "b"')).to.equal('"/a ""b"""');
	});
});

describe("host-port arguments", () => {
	it("parses PORT and refuses malformed ones", () => {
		expect(address.parsePort("127,0,0,1,4,1")).to.deep.equal({address: "127.0.0.1", port: 1025});
		expect(address.parsePort("127,0,0,1,4")).to.equal(undefined);
		expect(address.parsePort("256,0,0,1,4,1")).to.equal(undefined);
		expect(address.parsePort("a,0,0,1,4,1")).to.equal(undefined);
	});
	it("parses EPRT with any delimiter, and tells IPv6 apart", () => {
		expect(address.parseEprt("|1|10.0.0.2|6446|")).to.deep.equal({address: "10.0.0.2", port: 6446});
		expect(address.parseEprt("!1!10.0.0.2!6446!")).to.deep.equal({address: "10.0.0.2", port: 6446});
		expect(address.parseEprt("|2|::1|6446|")).to.equal("protocol");
		expect(address.parseEprt("|1|10.0.0.2|70000|")).to.equal(undefined);
		expect(address.parseEprt("|1|10.0.0|80|")).to.equal(undefined);
	});
	it("formats 227 and 229", () => {
		expect(address.formatPasv("127.0.0.1", 1025)).to.equal("Entering Passive Mode (127,0,0,1,4,1).");
		expect(address.formatEpsv(50000)).to.equal("Entering Extended Passive Mode (|||50000|)");
	});
});
