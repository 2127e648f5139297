// check:firmware's reading of `make -n` compile lines (scripts/firmware-commands.js): words split
// as sh splits them, since the compiler is run without a shell.
import {expect} from "chai";
import {shellWords} from "../../scripts/firmware-commands.js";

describe("check:firmware: compile lines split as sh does", () => {
	it("splits on blanks, runs of them included", () => {
		expect(shellWords("__CC__  -DESP32=1\t-D BOOTLOADER_BUILD=1 -c a.c -o a.c.o ")).to.deep.equal(["__CC__", "-DESP32=1", "-D", "BOOTLOADER_BUILD=1", "-c", "a.c", "-o", "a.c.o"]);
	});
	it("keeps quoted blanks and removes the quotes", () => {
		expect(shellWords(`cc -DNAME="\\"a b\\"" '-DX=it is' -DY=a\\ b`)).to.deep.equal(["cc", "-DNAME=\"a b\"", "-DX=it is", "-DY=a b"]);
	});
	it("keeps an empty quoted word", () => {
		expect(shellWords("cc '' \"\" x")).to.deep.equal(["cc", "", "", "x"]);
	});
	it("refuses what only a shell could expand, and unterminated quotes", () => {
		expect(() => shellWords("cc -DX=$(HOME)")).to.throw(/expansion/);
		expect(() => shellWords("cc \"-DX=`date`\"")).to.throw(/expansion/);
		expect(() => shellWords("cc '-DX")).to.throw(/unterminated/);
		expect(() => shellWords("cc \"-DX")).to.throw(/unterminated/);
	});
});
