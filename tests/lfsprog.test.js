/*
 * What LittleFS programs on the Linux host is LittleFS's own, byte for byte: modules/volume's
 * volumeLfs.c replaces some of lfs.c's block-device steps there (the prog cache's padding
 * filled where a program needs it instead of the whole cache after each flush, the read-back
 * compared in the image's mapping, cached reads and compares). tests/lfsprog/prog.c runs one
 * workload on an image file twice, over the SDK's lfs.c as it is and over volumeLfs.c with the
 * host's settings, each reading every file back; the two images must be identical.
 */
import {expect} from "chai";
import {spawnSync} from "node:child_process";
import {mkdtempSync, readFileSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {projectRoot, findSDK} from "../scripts/sdk.js";

// The two geometries: the host's (a 4 KiB cache that holds a whole metadata log, 1 KiB logs)
// and one like the devices' (a 256-byte cache, logs as large as a block, none of the host's
// replacements: what is left of ours there is the directory walk, reading through the cache).
const geometries = [
	{name: "host", defines: [], ours: ["-DMODDEF_VOLUME_LFS_PAD=1", "-DMODDEF_VOLUME_LFS_COMPARE=256", "-DMODDEF_VOLUME_LFS_CRC=1", "-DMODDEF_VOLUME_LFS_METADATA_MAX=1024", "-DMODDEF_VOLUME_LFS_WALK_TAGS=1024"], fetchCache: true, sweeps: true},
	{name: "device", defines: ["-DPROG_CACHE=256", "-DPROG_METADATA_MAX=0"], ours: [], fetchCache: false, sweeps: false},
	// the devices' geometry with the walk's table (the host's setting): 4 KiB logs swept
	{name: "device, with the walk's table", defines: ["-DPROG_CACHE=256", "-DPROG_METADATA_MAX=0"], ours: ["-DMODDEF_VOLUME_LFS_WALK_TAGS=1024"], fetchCache: false, sweeps: true},
];

describe("volume: LittleFS programs the same bytes through our replacements", function () {
	this.timeout(300000);

	for (const geometry of geometries) {
		it(`leaves the same image as the SDK's lfs.c after writes, syncs, renames, truncations, relocations and a folder of many entries (${geometry.name} geometry)`, function () {
			const sdk = findSDK();
			expect(sdk, "the Moddable SDK (npm install provides it)").to.be.a("string");
			const littlefs = join(sdk, "modules", "files", "file", "littlefs");
			const volume = join(projectRoot, "modules", "volume");
			const tests = join(projectRoot, "tests", "lfsprog");
			const work = mkdtempSync(join(tmpdir(), "ftpd-lfsprog-"));
			try {
				const common = ["-O2", "-Wall", "-Werror", "-I", join(tests, "include"), "-I", littlefs, "-I", volume, "-DMODDEF_VOLUME_IMAGE=1", ...geometry.defines];
				const device = [join(tests, "prog.c"), join(volume, "volumeImage.c"), join(volume, "volumeCrc.c")];
				const builds = {
					sdk: [...common, "-o", join(work, "sdk"), ...device, join(littlefs, "lfs.c")],
					ours: [...common, ...geometry.ours, "-o", join(work, "ours"), ...device, join(volume, "volumeLfs.c")],
				};
				const images = {}, outputs = {};
				for (const [name, args] of Object.entries(builds)) {
					const cc = spawnSync("cc", args, {encoding: "utf8"});
					expect(cc.status, `${name}: ${cc.stdout}${cc.stderr}`).to.equal(0);
					images[name] = join(work, `${name}.lfs`);
					const run = spawnSync(join(work, name), [images[name]], {encoding: "utf8", timeout: 120000});
					expect(run.status, `${name}: ${run.stdout}${run.stderr}`).to.equal(0);
					outputs[name] = run.stdout;
					// the allocator wrapped around the image (more erases than blocks)
					const done = /^ok 48 files, \d+ bytes, (\d+) erases of (\d+) blocks$/m.exec(run.stdout);
					expect(done, `${name}: ${run.stdout}`).to.not.equal(null);
					expect(Number(done[1])).to.be.above(Number(done[2]));
					// ours answered lookups from its fetch cache (volumeLfs.c), and still wrote the same
					if ((name === "ours") && geometry.fetchCache) {
						const hits = /^fetches from the cache: (\d+)$/m.exec(run.stdout);
						expect(hits, run.stdout).to.not.equal(null);
						expect(Number(hits[1])).to.be.above(100);
						const replays = /^lookups replayed: (\d+)$/m.exec(run.stdout);
						expect(replays, run.stdout).to.not.equal(null);
						expect(Number(replays[1])).to.be.above(100);
						const resumes = /^fetches resumed: (\d+)$/m.exec(run.stdout);
						expect(resumes, run.stdout).to.not.equal(null);
						expect(Number(resumes[1])).to.be.above(100);
					}
				}
				if (geometry.sweeps) {
					// the walk's table answered the compactions and renames (walkFilter the rest)
					const walks = /^walks swept: (\d+), scanned: (\d+)$/m.exec(outputs.ours);
					expect(walks, outputs.ours).to.not.equal(null);
					expect(Number(walks[1])).to.be.above(1000);
				}
				const sdkImage = readFileSync(images.sdk), ourImage = readFileSync(images.ours);
				expect(ourImage.length).to.equal(8 * 1024 * 1024);
				let first = -1;
				for (let i = 0; i < sdkImage.length; i++) {
					if (sdkImage[i] !== ourImage[i]) {
						first = i;
						break;
					}
				}
				expect(first, "first byte that differs (block " + Math.floor(first / 4096) + ")").to.equal(-1);
			}
			finally {
				rmSync(work, {recursive: true, force: true});
			}
		});
	}
});
