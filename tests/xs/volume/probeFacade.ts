/*
 * The "file" module over the volume: the same files, seen through either.
 */
import {File, Iterator, Directory, System} from "file";
import {info, stat} from "volume";
import {check, throwsCode, equal} from "probeReport";
import {pattern, same, writeFile, readFile, readText} from "probeData";

export function facadeChecks(kind: string): void {
	const name = (what: string) => `${kind}: file module: ${what}`;

	check(name("reads what volume wrote"), () => {
		writeFile("/by-volume", "from volume");
		const file = new File("/by-volume");
		equal(file.length, 11, "length");
		equal(file.read(String), "from volume");
		equal(file.position, 11, "position");
		throwsCode("read past end of file", () => file.read(String));
		file.close();
	});

	check(name("volume reads what file wrote"), () => {
		const file = new File("/by-file", true);
		file.write("abc", pattern(3), 0x41);
		equal(file.length, 7, "length");
		file.close();
		const back = readFile("/by-file");
		same(back.subarray(3, 6), pattern(3));
		equal(String.fromArrayBuffer(back.slice(0, 3).buffer), "abc");
		equal(back[6], 0x41, "byte");
	});

	check(name("write=true neither truncates nor loses reading; read(ArrayBuffer, n)"), () => {
		const file = new File("/by-file", true);
		equal(file.length, 7, "length");
		file.position = 1;
		const two = file.read(ArrayBuffer, 2);
		equal(two.byteLength, 2, "bytes read");
		equal(String.fromArrayBuffer(two), "bc");
		equal(file.position, 3, "position");
		file.position = 7;
		file.write("Z");
		file.close();
		equal(stat("/by-file")?.size, 8, "size");
		equal(readText("/by-file").slice(-2), "AZ");
	});

	check(name("exists, rename (a name, a path), delete"), () => {
		equal(File.exists("/by-file"), true, "exists");
		equal(File.rename("/by-file", "renamed"), true, "rename to a name");
		equal(File.exists("/renamed"), true, "renamed exists");
		Directory.create("/fdir");
		equal(File.rename("/renamed", "/fdir/moved"), true, "rename to a path");
		equal(File.rename("/renamed", "again"), false, "rename of nothing");
		equal(File.delete("/fdir/moved"), true, "delete");
		equal(File.delete("/fdir/moved"), false, "delete of nothing");
		equal(File.exists("/fdir/moved"), false, "exists after delete");
		equal(File.exists("/by-volume/x"), false, "exists through a file");
	});

	check(name("Iterator: names and lengths; Directory.create twice; Directory.delete"), () => {
		Directory.create("/it");
		Directory.create("/it");
		const file = new File("/it/a", true);
		file.write("12345");
		file.close();
		Directory.create("/it/sub");
		const seen: Record<string, number | undefined> = {};
		for (const entry of new Iterator("/it"))
			seen[entry.name] = entry.length;
		equal(Object.keys(seen).sort().join(), "a,sub", "names");
		equal(seen.a, 5, "file length");
		equal(seen.sub, undefined, "directory length");
		equal(Directory.delete("/it/sub"), true, "delete");
		equal(Directory.delete("/it/sub"), false, "delete of nothing");
		const iterator = new Iterator("/it");
		equal(iterator.next()?.name, "a", "next");
		equal(iterator.next(), undefined, "end");
		equal(iterator.next(), undefined, "after the end");
	});

	check(name("System.info and System.config"), () => {
		const system = System.info(), volume = info();
		equal(system.total, volume.total, "total");
		if (!(system.used > 0) || (system.used > system.total))
			throw new Error(`used ${system.used}`);
		equal(System.config().maxPathLength, 1024, "maxPathLength");
	});
}
