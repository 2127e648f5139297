// The C objects of a device build and the makefile's compile command for each, read from the
// makefile that mcconfig wrote for `npm run check:devices` (build/check-<target>/…/makefile),
// with the vendor folders pointed at the device sysroot (../shared/device-sysroot, its README
// says how a compile line maps onto it). Used by check:firmware.
import {spawnSync} from "node:child_process";
import {existsSync, mkdirSync, writeFileSync, chmodSync} from "node:fs";
import {join} from "node:path";
import {projectRoot} from "./sdk.js";

/** The folder of the makefile that check:devices wrote for a target. */
export function makefileDir(target) {
	return join(projectRoot, "build", `check-${target}`, "tmp", target, "release", "ftpd");
}

/** The make variables that put the sysroot where the vendor SDK would be. */
function sysrootVariables(target, sysroot, scratch) {
	switch (target) {
		case "esp32":
			return [`IDF_PATH=${join(sysroot, "esp32")}`, "IDF_VERSION=v6.0", `SDKCONFIG_H_DIR=${join(sysroot, "esp32", "config")}`];
		case "esp":
			// make.esp.mk wants TOOLS_ROOT to be a folder; the compiler is replaced anyway
			return [`ESP_BASE=${join(sysroot, "esp")}`, `ARDUINO_ROOT=${join(sysroot, "esp", "esp8266-2.3.0")}`, `TOOLS_ROOT=${scratch}`];
		default:
			throw new Error(`check:firmware: no device sysroot mapping for target ${target}`);
	}
}

/**
 * Splits a command line into words as sh does, for what `make -n` prints: blanks, quotes and
 * backslashes. An expansion ($, `) would need the shell itself: refused rather than guessed.
 */
export function shellWords(line) {
	const words = [];
	let word = null;
	for (let i = 0; i < line.length; i++) {
		const c = line[i];
		if ((c === " ") || (c === "\t")) {
			if (word !== null)
				words.push(word);
			word = null;
		}
		else if (c === "'") {
			const end = line.indexOf("'", i + 1);
			if (end < 0)
				throw new Error(`unterminated quote in: ${line}`);
			word = (word ?? "") + line.slice(i + 1, end);
			i = end;
		}
		else if (c === "\"") {
			word ??= "";
			for (i++; line[i] !== "\""; i++) {
				if (i >= line.length)
					throw new Error(`unterminated quote in: ${line}`);
				if ((line[i] === "$") || (line[i] === "`"))
					throw new Error(`shell expansion in a compile command: ${line}`);
				if ((line[i] === "\\") && "\"\\$`".includes(line[i + 1]))
					i++;
				word += line[i];
			}
		}
		else if (c === "\\") {
			word = (word ?? "") + (line[++i] ?? "");
		}
		else if ((c === "$") || (c === "`")) {
			throw new Error(`shell expansion in a compile command: ${line}`);
		}
		else {
			word = (word ?? "") + c;
		}
	}
	if (word !== null)
		words.push(word);
	return words;
}

/** A folder, first on PATH, with a `python` if there is none: make.esp.mk refuses to run without one. */
function pythonOnPath(scratch) {
	if (spawnSync("sh", ["-c", "command -v python"], {encoding: "utf8"}).status === 0)
		return process.env.PATH;
	const bin = join(scratch, "bin");
	mkdirSync(bin, {recursive: true});
	writeFileSync(join(bin, "python"), "#!/bin/sh\nexit 0\n");
	chmodSync(join(bin, "python"), 0o755);
	return `${bin}:${process.env.PATH}`;
}

/**
 * Every C object of the target's firmware and its compile command, from `make -n`.
 * The ESP8266 Arduino core's C++ and assembly objects are left out (Debian's lx106 compiler has
 * no C++ library headers), as are mc.resources.c and buildinfo.c (written at link time).
 * @returns {{source: string, object: string, args: string[]}[]} args: the compiler's arguments
 *   without the compiler and without `-o`
 */
export function compileCommands(target, sysroot, scratch) {
	const dir = makefileDir(target);
	if (!existsSync(join(dir, "makefile")))
		throw new Error(`no makefile in ${dir}: npm run check:devices writes it`);
	mkdirSync(scratch, {recursive: true});
	const env = {...process.env, PATH: pythonOnPath(scratch)};
	const variables = sysrootVariables(target, sysroot, scratch);
	const make = (args) => {
		const result = spawnSync("make", ["-C", dir, "-f", "makefile", ...variables, ...args], {env, encoding: "utf8", maxBuffer: 64 << 20});
		if (result.status !== 0)
			throw new Error(`make ${args.join(" ")} failed in ${dir}:\n${result.stderr}`);
		return result.stdout;
	};
	// The objects the firmware's link takes, as make.esp32.mk and make.esp.mk list them
	const objects = make(["-s", "--eval", "print-objects: ; @echo $(SDK_OBJ) $(XS_OBJ) $(TMP_DIR)/xsPlatform.c.o $(TMP_DIR)/xsHost.c.o $(TMP_DIR)/xsHosts.c.o $(TMP_DIR)/mc.xs.c.o $(OBJECTS)", "print-objects"])
		.split(/\s+/).filter(name => name.endsWith(".c.o"));
	if (!objects.length)
		throw new Error(`the makefile in ${dir} lists no C object`);
	// The compiler replaced by a marker, so its lines are told apart from the rest of make's output
	const lines = make(["-n", "-B", "CC=__CC__", ...objects]).split("\n").filter(line => line.startsWith("__CC__ "));
	return lines.map(line => {
		const words = shellWords(line).slice(1);
		const o = words.indexOf("-o");
		if (o < 0)
			throw new Error(`a compile command without -o: ${line}`);
		// make.esp.mk compiles some objects to X.o.unmapped, then objcopy moves their strings to flash as X.o
		const object = words[o + 1].replace(/\.unmapped$/, "");
		words.splice(o, 2);
		const sources = words.filter(word => word.endsWith(".c"));
		if (sources.length !== 1)
			throw new Error(`a compile command without one C source: ${line}`);
		return {source: sources[0], object, args: words};
	});
}
