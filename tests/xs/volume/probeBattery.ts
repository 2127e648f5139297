/*
 * The checks every volume kind passes, run on a freshly mounted, empty volume.
 */
import {info, stat, mkdir, rmdir, remove, rename, setTime, mounted, unmount, Directory, FileHandle, type Entry} from "volume";
import {copy, descriptor, errorName} from "volumeProbeCopy";
import {check, throwsCode, equal} from "probeReport";
import {pattern, same, writeFile, readFile, readText, now, near} from "probeData";

/** `remount` mounts the same volume again after an unmount. */
export function battery(kind: string, remount: () => void): void {
	const name = (what: string) => `${kind}: ${what}`;

	check(name("mounted() and info()"), () => {
		equal(mounted(), kind, "mounted");
		const volume = info();
		equal(volume.kind, kind, "kind");
		equal(volume.maxPathLength, 1024, "maxPathLength");
		if (!((volume.total > 0) && (volume.used > 0) && (volume.used <= volume.total)))
			throw new Error(`total ${volume.total}, used ${volume.used}`);
		if ("littlefs" === kind) {
			equal(volume.blockSize, 4096, "blockSize");
			equal(volume.used % 4096, 0, "used in blocks");
		}
	});

	for (const size of [0, 1, 4095, 4096, 4097, 1048577]) {
		check(name(`write/read round trip, ${size} B`), () => {
			const data = pattern(size, size & 255);
			writeFile(`/rt${size}`, data);
			equal(stat(`/rt${size}`)?.size, size, "stat size");
			return same(readFile(`/rt${size}`), data);
		});
	}

	check(name("1 MiB + 1 written in 1000 B pieces, read in 777 B pieces"), () => {
		const data = pattern(1048577, 3);
		const writer = new FileHandle("/chunked", "w");
		for (let at = 0; at < data.length; at += 1000)
			equal(writer.write(data.subarray(at, at + 1000)), Math.min(1000, data.length - at), "written");
		equal(writer.size, data.length, "size while open");
		writer.close();
		const back = new Uint8Array(data.length);
		const reader = new FileHandle("/chunked", "r");
		let at = 0;
		for (let count = 1; count; at += count)
			count = reader.read(back.subarray(at, at + 777));
		equal(reader.position, data.length, "position at the end");
		reader.close();
		equal(at, data.length, "bytes read");
		return same(back, data);
	});

	check(name("a string is written as UTF-8"), () => {
		writeFile("/text", "h\u00e9llo \u2713");
		equal(stat("/text")?.size, 10, "size");
		equal(readText("/text"), "h\u00e9llo \u2713");
	});

	check(name("append, whatever the position"), () => {
		writeFile("/append", "abc");
		writeFile("/append", "def", "a");
		const file = new FileHandle("/append", "a");
		file.position = 0;
		file.write("g");
		file.close();
		equal(readText("/append"), "abcdefg");
		writeFile("/append-new", "x", "a");
		equal(readText("/append-new"), "x");
	});

	check(name("r+ writes at an offset without truncating"), () => {
		writeFile("/rplus", "0123456789");
		const file = new FileHandle("/rplus", "r+");
		file.position = 3;
		equal(file.write("xyz"), 3, "written");
		equal(file.position, 6, "position");
		file.position = 0;
		const head = new Uint8Array(4);
		equal(file.read(head), 4, "read");
		equal(String.fromArrayBuffer(head.buffer as ArrayBuffer), "012x");
		file.close();
		equal(readText("/rplus"), "012xyz6789");
		throwsCode("ENOENT", () => new FileHandle("/missing", "r+"));
	});

	check(name("w truncates"), () => {
		writeFile("/rplus", "ab");
		equal(stat("/rplus")?.size, 2, "size");
		equal(readText("/rplus"), "ab");
	});

	check(name("modes are enforced; a closed handle is EINVAL"), () => {
		const reader = new FileHandle("/rplus", "r");
		throwsCode("EINVAL", () => reader.write("x"));
		reader.close();
		const writer = new FileHandle("/modes", "w");
		throwsCode("EINVAL", () => writer.read(new ArrayBuffer(1)));
		writer.close();
		throwsCode("EINVAL", () => writer.write("x"));
		writer.close();
		throwsCode("EINVAL", () => new FileHandle("/modes", "x" as "r"));
		const positioned = new FileHandle("/modes", "r");
		throwsCode("EINVAL", () => { positioned.position = -1; });
		throwsCode("EINVAL", () => { positioned.position = 0.5; });
		positioned.close();
	});

	check(name("mkdir, rmdir, EEXIST, ENOTEMPTY"), () => {
		const before = now();
		mkdir("/dir");
		const entry = stat("/dir");
		equal(entry?.directory, true, "directory");
		equal(entry?.size, 0, "size");
		near(entry?.mtime, before);
		throwsCode("EEXIST", () => mkdir("/dir"));
		throwsCode("EEXIST", () => mkdir("/rplus"));
		writeFile("/dir/inner", "x");
		throwsCode("ENOTEMPTY", () => rmdir("/dir"));
		remove("/dir/inner");
		rmdir("/dir");
		equal(stat("/dir"), undefined, "stat after rmdir");
		throwsCode("ENOENT", () => rmdir("/dir"));
		throwsCode("EINVAL", () => rmdir("/"));
	});

	check(name("remove files only, rmdir directories only"), () => {
		writeFile("/gone", "x");
		remove("/gone");
		equal(stat("/gone"), undefined, "stat after remove");
		throwsCode("ENOENT", () => remove("/gone"));
		mkdir("/adir");
		throwsCode("EISDIR", () => remove("/adir"));
		throwsCode("ENOTDIR", () => rmdir("/rplus"));
		rmdir("/adir");
	});

	check(name("rename replaces an existing file and keeps the time"), () => {
		writeFile("/from", "new");
		setTime("/from", 1500000000);
		writeFile("/to", "old, longer contents");
		rename("/from", "/to");
		equal(stat("/from"), undefined, "old name");
		equal(readText("/to"), "new");
		equal(stat("/to")?.mtime, 1500000000, "mtime");
	});

	check(name("rename across directories, of directories, onto itself"), () => {
		mkdir("/r1");
		mkdir("/r2");
		writeFile("/r1/f", "moved");
		rename("/r1/f", "/r2/g");
		equal(stat("/r1/f"), undefined, "old name");
		equal(readText("/r2/g"), "moved");
		rename("/r2", "/r3");
		equal(readText("/r3/g"), "moved");
		throwsCode("EINVAL", () => rename("/r3", "/r3/sub"));
		throwsCode("ENOENT", () => rename("/nothing", "/else"));
		throwsCode("ENOENT", () => rename("/r3/g", "/nowhere/g"));
		throwsCode("EISDIR", () => rename("/r3/g", "/r1"));
		rename("/r3/g", "/r3/g");
		equal(readText("/r3/g"), "moved");
		remove("/r3/g");
		rmdir("/r3");
		rmdir("/r1");
	});

	check(name("directory listing: names, sizes, kinds, times"), () => {
		mkdir("/list");
		writeFile("/list/empty", "");
		writeFile("/list/ten", pattern(10));
		mkdir("/list/sub");
		setTime("/list/ten", 1600000000);
		const seen: Record<string, Entry> = {};
		const directory = new Directory("/list");
		for (let entry = directory.next(); entry; entry = directory.next())
			seen[entry.name] = entry;
		equal(directory.next(), undefined, "after the end");
		directory.close();
		equal(Object.keys(seen).sort().join(), "empty,sub,ten", "names");
		equal(seen.empty.size, 0, "empty size");
		equal(seen.empty.directory, false, "empty kind");
		near(seen.empty.mtime, now());
		equal(seen.ten.size, 10, "ten size");
		equal(seen.ten.mtime, 1600000000, "ten mtime");
		equal(seen.sub.directory, true, "sub kind");
		equal(seen.sub.size, 0, "sub size");
		near(seen.sub.mtime, now());
	});

	check(name("listing the root; closing early; Directory errors"), () => {
		const directory = new Directory("/");
		const first = directory.next();
		directory.close();
		equal(directory.next(), undefined, "after close");
		directory.close();
		if (!first || !stat("/" + first.name))
			throw new Error("root entry missing");
		throwsCode("ENOTDIR", () => new Directory("/rplus"));
		throwsCode("ENOENT", () => new Directory("/nothing"));
	});

	check(name("a written file is stamped now; setTime on files and directories"), () => {
		const before = now();
		writeFile("/stamp", "x");
		near(stat("/stamp")?.mtime, before);
		setTime("/stamp", 1000000000);
		equal(stat("/stamp")?.mtime, 1000000000, "file mtime");
		mkdir("/tdir");
		setTime("/tdir", 1000000001);
		equal(stat("/tdir")?.mtime, 1000000001, "directory mtime");
		setTime("/", 1000000002);
		equal(stat("/")?.mtime, 1000000002, "root mtime");
		throwsCode("ENOENT", () => setTime("/nothing", 1));
		throwsCode("EINVAL", () => setTime("/stamp", -1));
		throwsCode("EINVAL", () => setTime("/stamp", 1.5));
	});

	check(name("reading, or opening r+ without writing, keeps the time"), () => {
		const reader = new FileHandle("/stamp", "r");
		reader.read(new ArrayBuffer(1));
		reader.close();
		new FileHandle("/stamp", "r+").close();
		new FileHandle("/stamp", "a").close();
		equal(stat("/stamp")?.mtime, 1000000000, "mtime");
		const writer = new FileHandle("/stamp", "r+");
		writer.write("y");
		writer.close();
		near(stat("/stamp")?.mtime, now());
	});

	check(name("ENOENT, EISDIR, ENOTDIR"), () => {
		throwsCode("ENOENT", () => new FileHandle("/nothing", "r"));
		throwsCode("ENOENT", () => new FileHandle("/no/where", "w"));
		mkdir("/edir");
		throwsCode("EISDIR", () => new FileHandle("/edir", "r"));
		throwsCode("EISDIR", () => new FileHandle("/edir", "w"));
		throwsCode("EISDIR", () => new FileHandle("/", "r"));
		throwsCode("ENOTDIR", () => new FileHandle("/stamp/x", "w"));
		throwsCode("ENOTDIR", () => mkdir("/stamp/x"));
		throwsCode("ENOENT", () => mkdir("/no/where"));
		equal(stat("/stamp/x"), undefined, "stat through a file");
		equal(stat("/nothing"), undefined, "stat of nothing");
	});

	check(name("path rules: 255 B names, 1024 B paths, no . or .."), () => {
		const long = "n".repeat(255);
		writeFile("/" + long, "x");
		equal(stat("/" + long)?.size, 1, "255 B name");
		remove("/" + long);
		throwsCode("ENAMETOOLONG", () => writeFile("/" + long + "n", "x"));
		throwsCode("ENAMETOOLONG", () => stat(("/" + "d".repeat(99)).repeat(10) + "/" + "f".repeat(30)));
		throwsCode("EINVAL", () => stat("relative"));
		throwsCode("EINVAL", () => stat("/a/../b"));
		throwsCode("EINVAL", () => stat("/./b"));
		equal(stat("//rplus/")?.size, 2, "repeated and trailing slashes");
		equal(stat("/")?.directory, true, "root");
		equal(stat("/")?.name, "", "root name");
		equal(stat("/list/ten")?.name, "ten", "name");
	});

	check(name("a deep path within the limit"), () => {
		const levels: string[] = [];
		let path = "";
		for (let i = 0; i < 9; i++) {
			path += "/" + String(i).repeat(100);
			mkdir(path);
			levels.push(path);
		}
		writeFile(path + "/f", "deep");
		equal(readText(path + "/f"), "deep");
		remove(path + "/f");
		while (levels.length)
			rmdir(levels.pop()!);
	});

	check(name("two files written at once"), () => {
		const a = new FileHandle("/both-a", "w");
		const b = new FileHandle("/both-b", "w");
		for (let i = 0; i < 50; i++) {
			a.write(pattern(1000, i));
			b.write(pattern(1000, i + 100));
		}
		a.close();
		b.close();
		const readA = readFile("/both-a"), readB = readFile("/both-b");
		equal(readA.length, 50000, "a size");
		equal(readB.length, 50000, "b size");
		same(readA.subarray(49000), pattern(1000, 49));
		return same(readB.subarray(49000), pattern(1000, 149));
	});

	check(name("volume.h: a 1 MiB + 1 file copied through volumeRead/volumeWrite"), () => {
		const data = pattern(1048577, 9);
		writeFile("/csrc", data);
		equal(copy("/csrc", 0, "/cdst", false, 0, 4096), data.length, "copied");
		near(stat("/cdst")?.mtime, now());
		return same(readFile("/cdst"), data);
	});

	check(name("volume.h: volumeOpenRead at an offset, odd buffer size"), () => {
		const data = pattern(1048577, 9);
		equal(copy("/csrc", 1000, "/cdst", false, 0, 333), data.length - 1000, "copied");
		return same(readFile("/cdst"), data.subarray(1000));
	});

	check(name("volume.h: append, resume at an offset, errors"), () => {
		writeFile("/small", "abc");
		copy("/small", 0, "/cat", false, 0, 2);
		copy("/small", 0, "/cat", true, 0, 2);
		equal(readText("/cat"), "abcabc");
		copy("/small", 1, "/cat", false, 5, 16);
		equal(readText("/cat"), "abcabbc");
		throwsCode("EINVAL", () => copy("/small", 0, "/cat", false, 100, 16));
		equal(copy("/small", 100, "/past", false, 0, 16), 0, "copied from past the end");
		equal(stat("/past")?.size, 0, "size");
		throwsCode("ENOENT", () => copy("/nothing", 0, "/cat", false, 0, 16));
		throwsCode("EISDIR", () => copy("/small", 0, "/edir", false, 0, 16));
		equal(errorName(-6), "ENOSPC", "error name");
		equal(errorName(-12), "ENOTMOUNTED", "error name");
		equal(errorName(-99), "EIO", "unknown error name");
		const fd = descriptor("/small");
		if ("posix" === kind ? fd < 0 : fd !== -1)
			throw new Error(`descriptor ${fd}`);
	});

	check(name("unmount closes open handles; remount keeps contents and times"), () => {
		writeFile("/persist", "kept");
		setTime("/persist", 1234567890);
		mkdir("/pdir");
		setTime("/pdir", 1234567891);
		const pending = new FileHandle("/pending", "w");
		pending.write("committed by unmount");
		const listing = new Directory("/");
		unmount();
		equal(mounted(), undefined, "mounted");
		throwsCode("ENOTMOUNTED", () => stat("/persist"));
		throwsCode("ENOTMOUNTED", () => new FileHandle("/persist", "r"));
		unmount();
		remount();
		throwsCode("ENOTMOUNTED", () => pending.write("x"));
		pending.close();
		equal(listing.next(), undefined, "listing after unmount");
		listing.close();
		equal(stat("/persist")?.mtime, 1234567890, "file mtime");
		equal(stat("/pdir")?.mtime, 1234567891, "directory mtime");
		equal(readText("/persist"), "kept");
		equal(readText("/pending"), "committed by unmount");
		throwsCode("EEXIST", remount);
	});
}
