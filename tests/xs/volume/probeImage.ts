/*
 * Checks of the LittleFS image only: a full volume, images that must not be formatted, and
 * what a new process finds in an image.
 */
import {info, stat, remove, mountImage, mountRoot, unmount, FileHandle} from "volume";
import {check, throwsCode, equal} from "probeReport";
import {pattern, same, writeFile, readFile, readText} from "probeData";

/** Runs with nothing mounted; leaves nothing mounted. `folder` is a scratch host folder. */
export function imageChecks(folder: string): void {
	check("littlefs: filling the volume is ENOSPC; deleting makes it usable again", () => {
		const image = folder + "/small.lfs";
		mountImage(image, 131072);
		try {
			const chunk = pattern(4096, 1);
			let files = 0, full = false;
			while (!full && (files < 64)) {
				const file = new FileHandle(`/fill${files++}`, "w");
				try {
					for (let i = 0; i < 8; i++)
						file.write(chunk);
				}
				catch (error) {
					if ("ENOSPC" !== (error as Error).message)
						throw error;
					full = true;
				}
				try {
					file.close();
				}
				catch (error) {
					if ("ENOSPC" !== (error as Error).message)
						throw error;
					full = true;
				}
			}
			equal(full, true, "ENOSPC reached");
			const usedFull = info().used;
			for (let i = 0; i < files; i++) {
				if (stat(`/fill${i}`))
					remove(`/fill${i}`);
			}
			if (!(info().used < usedFull))
				throw new Error("deleting freed nothing");
			const data = pattern(16384, 5);
			writeFile("/after", data);
			same(readFile("/after"), data);
			unmount();
			mountImage(image, 0);
			return same(readFile("/after"), data);
		}
		finally {
			unmount();
		}
	});

	check("littlefs: an existing file that does not mount, or is no image's size, is EFTYPE and left untouched", () => {
		mountRoot(folder);
		writeFile("/garbage.lfs", new Uint8Array(65536));
		writeFile("/short.lfs", new Uint8Array(1000));
		unmount();
		throwsCode("EFTYPE", () => mountImage(folder + "/garbage.lfs", 65536));
		throwsCode("EFTYPE", () => mountImage(folder + "/short.lfs", 65536));
		mountRoot(folder);
		try {
			same(readFile("/garbage.lfs"), new Uint8Array(65536));
			same(readFile("/short.lfs"), new Uint8Array(1000));
			remove("/garbage.lfs");
			remove("/short.lfs");
		}
		finally {
			unmount();
		}
	});

	check("littlefs: a new image's size must be whole blocks", () => {
		throwsCode("EINVAL", () => mountImage(folder + "/odd.lfs", 65537));
		throwsCode("EINVAL", () => mountImage(folder + "/odd.lfs", 4096));
		throwsCode("ENOENT", () => mountImage(folder + "/no/such/folder.lfs", 65536));
		mountRoot(folder);
		try {
			equal(stat("/odd.lfs"), undefined, "no file left behind");
		}
		finally {
			unmount();
		}
	});
}

/** What the battery left in the image, seen by a new process. */
export function restartChecks(image: string): void {
	check("littlefs: a new process finds contents and times", () => {
		mountImage(image, 0);
		equal(stat("/persist")?.mtime, 1234567890, "file mtime");
		equal(stat("/pdir")?.mtime, 1234567891, "directory mtime");
		equal(stat("/list/ten")?.mtime, 1600000000, "listed file mtime");
		equal(readText("/persist"), "kept");
		same(readFile("/rt1048577"), pattern(1048577, 1048577 & 255));
		return same(readFile("/cdst"), pattern(1048577, 9).subarray(1000));
	});

	check("littlefs: the image is still writable", () => {
		writeFile("/second-run", "yes");
		equal(readText("/second-run"), "yes");
		unmount();
	});
}
