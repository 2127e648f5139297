import {expect} from "chai";
import {paths} from "./load.js";

const r = (cwd, arg) => paths.resolvePath(cwd, arg);

describe("resolvePath", () => {
	it("resolves relative and absolute paths", () => {
		expect(r("/a", "b")).to.equal("/a/b");
		expect(r("/a", "/b/c")).to.equal("/b/c");
		expect(r("/", "")).to.equal("/");
		expect(r("/a/b", "")).to.equal("/a/b");
	});
	it("folds ., .., repeated and trailing slashes", () => {
		expect(r("/a", "./b//c/")).to.equal("/a/b/c");
		expect(r("/a/b", "..")).to.equal("/a");
		expect(r("/a/b", "../../c")).to.equal("/c");
	});
	it("never leaves the root", () => {
		for (const arg of ["../../..", "/..", "/../../etc/passwd", "..\\..\\x", "a/../../..", "....//..//"])
			expect(r("/a", arg).startsWith("/"), arg).to.equal(true);
		expect(r("/", "../../../etc/passwd")).to.equal("/etc/passwd");
		expect(r("/a", "/..")).to.equal("/");
	});
	it("treats backslashes as separators", () => {
		expect(r("/", "a\\b\\..\\c")).to.equal("/a/c");
	});
	it("keeps %2e%2e literal: it is a name, not a parent", () => {
		expect(r("/a", "%2e%2e")).to.equal("/a/%2e%2e");
	});
	it("refuses NUL, CR, LF and over-long paths", () => {
		expect(r("/", "a\0b")).to.equal("invalid name");
		expect(r("/", "a\r\nb")).to.equal("invalid name");
		expect(r("/", "x".repeat(300))).to.equal("too long");
		expect(r("/", "é".repeat(128))).to.equal("too long");
		expect(r("/", "x".repeat(254))).to.equal("/" + "x".repeat(254));
	});
	it("splits names and parents", () => {
		expect(paths.baseName("/a/b")).to.equal("b");
		expect(paths.parentOf("/a/b")).to.equal("/a");
		expect(paths.parentOf("/a")).to.equal("/");
		expect(paths.joinPath("/", "x")).to.equal("/x");
		expect(paths.joinPath("/a", "x")).to.equal("/a/x");
	});
});
