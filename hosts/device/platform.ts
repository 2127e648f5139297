/*
 * The public module's device side ("ftpd/platform" on esp32 and esp): the storage partition, and
 * the password of the secure default, generated once from the chip's hardware random numbers
 * (XS's Math.random is esp_random() there) and kept in Preferences, so the URL a board traced
 * keeps working after a restart. Erase it with Preference.delete("ftpd", "password").
 */
import config from "mc/config";
import Preference from "preference";
import * as volume from "volume";
import {makePassword} from "ftpd/server/password";

export function settings(): Record<string, string | number | undefined> {
	return config as unknown as Record<string, string | number | undefined>;
}

/** The options' image and root are the Linux host's: a board has one storage partition. */
export function mount(options: {image?: string; imageSize?: number; root?: string}): void {
	volume.mountPartition();
}

export function password(): string {
	const kept = Preference.get("ftpd", "password");
	if (("string" === typeof kept) && kept)
		return kept;
	const made = makePassword(() => Math.floor(Math.random() * 256));
	Preference.set("ftpd", "password", made);
	return made;
}
