/*
 * The device's network: Wi-Fi joined and re-joined with growing pauses (a board must come
 * back by itself after the router restarts), the clock from SNTP (LIST and MDTM times need
 * it), and an mDNS announcement of `_ftp._tcp`, so the board shows up by name.
 */
import WiFi from "wifi";
import Net from "net";
import SNTP from "sntp";
import Time from "time";
import MDNS from "mdns";
import Timer from "timer";
import {log} from "ftpd/log/log";

/** Pauses between attempts to join, in ms; the last one repeats. */
const RETRY_PAUSES = Object.freeze([1000, 2000, 5000, 10000, 30000]);

/**
 * Joins `ssid` and keeps joined; calls `onAddress` with the IP address each time one is
 * obtained (again after a loss).
 */
export function joinWiFi(ssid: string, password: string, onAddress: (address: string) => void): void {
	let failures = 0;
	let retry: Timer | undefined;
	const connect = () => {
		retry = undefined;
		WiFi.connect(password ? {ssid, password} : {ssid});
	};
	new WiFi(password ? {ssid, password} : {ssid}, message => {
		if (message === WiFi.gotIP) {
			failures = 0;
			onAddress(Net.get("IP") as string);
		}
		else if (message === WiFi.disconnected) {
			const pause = RETRY_PAUSES[Math.min(failures, RETRY_PAUSES.length - 1)];
			failures++;
			log.warn(`Wi-Fi "${ssid}": not connected (attempt ${failures}), retrying in ${pause / 1000} s`);
			if (failures === 3)
				log.error(`Wi-Fi "${ssid}" keeps failing: check ssid=... and password=... on the mcconfig command line`);
			if (!retry)
				retry = Timer.set(connect, pause);
		}
	});
}

/** Sets the clock from `host`, then calls `done`; without a clock, times are reported unknown. */
export function setClock(host: string, done: () => void): void {
	if (!host)
		return done();
	new SNTP({host}, (message, value) => {
		if (message === SNTP.time) {
			Time.set(value!);
			log.info(`clock set from ${host}`);
		}
		else if (message === SNTP.error)
			log.warn(`no time from ${host}: file times will be unknown until it answers`);
		else
			return;
		done();
	});
}

/** Announces the FTP service as `hostName`.local. */
export function announce(hostName: string, port: number): MDNS {
	const mdns = new MDNS({hostName}, (message, value) => {
		// 1: the name was claimed (possibly with a suffix when already taken)
		if ((message === 1) && value)
			log.info(`mDNS: ${value}.local`);
	});
	mdns.add({name: "ftp", protocol: "tcp", port, txt: {path: "/"}});
	return mdns;
}
