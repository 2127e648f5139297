/*
 * Checks of the POSIX root only: nothing reached through a symlink, no special files.
 * The test prepares <root>/links: "outside" -> "/", "passwd" -> "/etc/passwd", "dangling"
 * -> a missing path, "fifo" a FIFO; the battery then runs on <root>/volume.
 */
import {stat, mkdir, remove, rename, setTime, Directory, FileHandle} from "volume";
import {check, throwsCode} from "probeReport";
import {writeFile} from "probeData";

export function posixChecks(): void {
	check("posix: every use of a symlink is EACCES", () => {
		throwsCode("EACCES", () => stat("/links/outside"));
		throwsCode("EACCES", () => stat("/links/outside/etc"));
		throwsCode("EACCES", () => stat("/links/passwd"));
		throwsCode("EACCES", () => new FileHandle("/links/passwd", "r"));
		throwsCode("EACCES", () => new FileHandle("/links/passwd", "r+"));
		throwsCode("EACCES", () => new FileHandle("/links/dangling", "w"));
		throwsCode("EACCES", () => new FileHandle("/links/outside/etc/passwd", "r"));
		throwsCode("EACCES", () => new Directory("/links/outside"));
		throwsCode("EACCES", () => mkdir("/links/outside/x"));
		throwsCode("EACCES", () => remove("/links/passwd"));
		throwsCode("EACCES", () => setTime("/links/passwd", 1));
		throwsCode("EACCES", () => rename("/links/passwd", "/volume/passwd"));
		writeFile("/victim", "x");
		throwsCode("EACCES", () => rename("/victim", "/links/passwd"));
		remove("/victim");
	});

	check("posix: a FIFO is EACCES without blocking", () => {
		throwsCode("EACCES", () => new FileHandle("/links/fifo", "r"));
		throwsCode("EACCES", () => stat("/links/fifo"));
	});

	check("posix: listings leave out symlinks and special files", () => {
		const directory = new Directory("/links");
		const entry = directory.next();
		directory.close();
		if (entry)
			throw new Error(`listed ${entry.name}`);
	});
}
