/*
 * The live console: a global `ftpd` object, so xsbug's console can look at and steer the
 * running server (`ftpd.verbose = 2`).
 */
import type {FtpServer} from "./server";
import {log} from "../log/log";

export function installConsole(server: FtpServer): void {
	const ftpd = {
		get verbose(): number {
			return log.level;
		},
		set verbose(level: number) {
			log.level = Math.max(0, Math.min(2, Math.floor(level)));
		},
		get sessions(): {address: string; user: string; activity: string}[] {
			return [...server.sessions].map(s => ({address: s.remoteAddress, user: s.user, activity: s.activity}));
		},
		stop(): void {
			server.stop();
		},
		start(): void {
			server.start();
		},
	};
	(globalThis as unknown as {ftpd: typeof ftpd}).ftpd = ftpd;
}
