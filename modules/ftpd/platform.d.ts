/*
 * What the public module needs of each platform ("ftpd/platform", mapped per platform by
 * modules/manifest.json: hosts/lin/platform.ts on the Linux host, hosts/device/platform.ts on
 * esp32 and esp).
 */
declare module "ftpd/platform" {
	/** Mounts the volume when none is mounted: the storage partition, or on Linux the image or folder of the options (else FTPD_ROOT, FTPD_IMAGE, ./ftpd.lfs). */
	export function mount(options: {image?: string; imageSize?: number; root?: string}): void;
	/** The settings under their mcconfig names (ftpPort, ftpUser...): mc/config on devices; on Linux, which has no mc/config, the FTPD_* environment variables of the command line. */
	export function settings(): Record<string, string | number | undefined>;
	/** The password of the generated account: made once and kept (devices: Preferences; Linux: for the process). */
	export function password(): string;
}
