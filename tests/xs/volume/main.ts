/*
 * The volume probe: checks the volume module from inside an XS app.
 *
 *   volume-probe battery <folder>   image checks on <folder>/battery.lfs (created), then the
 *                                   POSIX root <folder>/root (the test prepares root/links
 *                                   and an empty root/volume)
 *   volume-probe restart <folder>   what the battery left in <folder>/battery.lfs
 *   volume-probe churn <image> <first version>          writes versions until killed
 *   volume-probe verify <image> <committed> <renamed>   after the kill
 *   volume-probe locked <image>     mounting an image in use is EBUSY
 *   volume-probe bench <folder>     MiB/s through the JS API, image and POSIX
 *
 * Prints a line per check, then "N passed, M failed"; exits 1 on a failure.
 */
import {args, exit, error} from "host";
import Timer from "timer";
import {mountImage, mountRoot, unmount} from "volume";
import {summary} from "probeReport";
import {battery} from "probeBattery";
import {imageChecks, restartChecks} from "probeImage";
import {posixChecks} from "probePosix";
import {facadeChecks} from "probeFacade";
import {churn, verify, locked, bench} from "probeChurn";

function runBattery(folder: string): void {
	const image = folder + "/battery.lfs";
	mountImage(image, 16 * 1048576);
	battery("littlefs", () => mountImage(image, 0));
	facadeChecks("littlefs");
	unmount();
	imageChecks(folder);

	const root = folder + "/root";
	mountRoot(root + "/volume");
	battery("posix", () => mountRoot(root + "/volume"));
	facadeChecks("posix");
	unmount();
	mountRoot(root);
	posixChecks();
	unmount();
}

function runBench(folder: string): void {
	mountImage(folder + "/bench.lfs", 16 * 1048576);
	bench(64);
	unmount();
	mountRoot(folder);
	bench(64);
	unmount();
}

export default function main(): void {
	const [mode, ...rest] = args();
	if ("battery" === mode)
		runBattery(rest[0]);
	else if ("restart" === mode)
		restartChecks(rest[0] + "/battery.lfs");
	else if ("churn" === mode)
		churn(rest[0], Number(rest[1]));
	else if ("verify" === mode)
		verify(rest[0], Number(rest[1]), Number(rest[2]));
	else if ("locked" === mode)
		locked(rest[0]);
	else if ("bench" === mode) {
		runBench(rest[0]);
		leave(0);
		return;
	}
	else {
		error("usage: volume-probe battery|restart|churn|verify|locked|bench ...");
		leave(2);
		return;
	}
	leave(summary());
}

// The host's exit() quits the main loop, which runs only once main() has returned.
function leave(code: number): void {
	Timer.set(() => exit(code), 0);
}
