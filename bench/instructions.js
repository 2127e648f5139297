// Instruction counts alone (callgrind.js), for one or more builds of the host: per command (a
// PASV + RETR of 4 KiB), per LIST of 500 entries, per byte, on an image and on a folder, with
// the targets. Keeps callgrind's output files with --keep DIR (for callgrind_annotate).
//
//   node bench/instructions.js [--keep DIR] name=binary ...
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {measureInstructions, CG_TARGETS} from "./callgrind.js";

const {values: options, positionals} = parseArgs({allowPositionals: true, options: {keep: {type: "string"}}});
const builds = positionals.map(arg => {
	const at = arg.indexOf("=");
	return at < 0 ? {name: arg, binary: arg} : {name: arg.slice(0, at), binary: arg.slice(at + 1)};
});
if (!builds.length) {
	console.error("usage: node bench/instructions.js [--keep DIR] name=binary ...");
	process.exit(2);
}
const work = options.keep ?? mkdtempSync(join(tmpdir(), "ftpd-instructions-"));
const grouped = n => Math.round(n).toLocaleString("en-US");
try {
	const rows = [];
	for (const {name, binary} of builds) {
		const results = await measureInstructions(binary, join(work, name), {log: text => process.stderr.write(`${name}: ${text}\n`)});
		for (const [storage, label] of [["image", "image"], ["root", "folder"]]) {
			const s = results[storage];
			rows.push(`| ${name} | ${label} | ${grouped(s.perNoop)} | ${grouped(s.perCommand)} | ${grouped(s.perListing)} | ${s.retr.perByte.toFixed(2)} | ${s.stor.perByte.toFixed(2)} |`);
		}
		for (const part of ["command", "listing"]) {
			console.log(`\n${name}, image, per ${part}: the functions whose own instructions grew most\n`);
			for (const row of results.image.top[part])
				console.log(`${grouped(row.count).padStart(12)}  ${row.name}`);
		}
	}
	console.log(`\n| build | storage | per NOOP | per 4 KiB RETR | per LIST of 500 | RETR per byte | STOR per byte |`);
	console.log("|---|---|--:|--:|--:|--:|--:|");
	console.log(`| target | image | | ≤ ${grouped(CG_TARGETS.command)} | ≤ ${grouped(CG_TARGETS.listing)} | ≤ ${CG_TARGETS.retrPerByte} | ≤ ${CG_TARGETS.storPerByte} |`);
	for (const row of rows)
		console.log(row);
}
finally {
	if (!options.keep)
		rmSync(work, {recursive: true, force: true});
}
