import {expect} from "chai";
import {format, listArgs} from "./load.js";

const now = Date.UTC(2026, 10, 23, 5, 17, 0) / 1000;

describe("LIST lines", () => {
	it("formats a recent file with hours and minutes, exact size", () => {
		const line = format.formatListLine({name: "a b.txt", size: 1048576, mtime: now - 60, directory: false}, now);
		expect(line).to.equal("-rw-r--r-- 1 ftp ftp    1048576 Nov 23 05:16 a b.txt");
	});
	it("formats old and future times with the year", () => {
		const old = Date.UTC(2024, 0, 5, 10, 0, 0) / 1000;
		expect(format.formatListLine({name: "d", size: 0, mtime: old, directory: true}, now))
			.to.equal("drwxr-xr-x 1 ftp ftp          0 Jan  5  2024 d");
		expect(format.formatListLine({name: "f", size: 1, mtime: now + 86400 * 30, directory: false}, now)).to.match(/Dec 23  2026 f$/);
	});
	it("shows read-only permissions to read-only users", () => {
		expect(format.formatListLine({name: "f", size: 1, mtime: now, directory: false}, now, false)).to.match(/^-r--r--r-- /);
	});
	it("has no tabs and a single space before the name", () => {
		const line = format.formatListLine({name: "x", size: 12345678901, mtime: now, directory: false}, now);
		expect(line).not.to.include("\t");
		expect(line.split(" ").at(-1)).to.equal("x");
	});
});

describe("times", () => {
	it("formats and parses YYYYMMDDHHMMSS in UTC", () => {
		expect(format.formatTimeval(now)).to.equal("20261123051700");
		expect(format.parseTimeval("20261123051700")).to.equal(now);
		expect(format.parseTimeval("20261123051700.123")).to.equal(now);
		expect(format.parseTimeval("20260231000000")).to.equal(undefined);
		expect(format.parseTimeval("2026112305170")).to.equal(undefined);
		for (const bad of ["20261123051700.", "20261123051700.1234", "20261123051700,1", "2026112305170x", " 20261123051700", "20261123051700 ", "+0261123051700", "20261323051700"])
			expect(format.parseTimeval(bad), bad).to.equal(undefined);
	});
});

describe("MLSx facts", () => {
	it("lists type, size, modify and perm", () => {
		expect(format.formatMlsxLine({name: "f", size: 3, mtime: now, directory: false}, true))
			.to.equal("type=file;size=3;modify=20261123051700;perm=adfrw; f");
		expect(format.formatMlsxLine({name: "d", size: 0, mtime: 0, directory: true}, false))
			.to.equal("type=dir;perm=el; d");
	});
});

describe("LIST arguments", () => {
	it("drops ls options and keeps a path with spaces", () => {
		expect(listArgs.splitListArgument("-la")).to.deep.equal({options: "-la", path: ""});
		expect(listArgs.splitListArgument("-a -l my dir")).to.deep.equal({options: "-a-l", path: "my dir"});
		expect(listArgs.splitListArgument("/x")).to.deep.equal({options: "", path: "/x"});
	});
});
