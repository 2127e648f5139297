/*
 * Logging in and out: USER, PASS, ACCT, REIN, QUIT, and the TLS verbs, refused cleanly
 * while there is no TLS so FileZilla and lftp fall back to plain FTP.
 */
import Timer from "timer";
import type {CommandTable} from "./command";
import type {Session} from "../session/session";
import {log} from "../log/log";

const ANONYMOUS_NAMES = new Set(["anonymous", "ftp"]);

function isAnonymous(session: Session, user: string): boolean {
	const o = session.server.options;
	if (o.anonymous === "off")
		return false;
	// with no account configured, any name is a guest: the open server of a loopback host
	return !o.user || ANONYMOUS_NAMES.has(user.toLowerCase());
}

function delay(ms: number): Promise<void> {
	return new Promise(resolve => { Timer.set(() => resolve(), ms); });
}

// frozen deeply (an XS extension): preloaded, the table stays in flash
export const auth: CommandTable = Object.freeze({
	USER: {
		anonymous: true, argument: "required", help: "USER <name>",
		run(session, name) {
			if (session.loggedIn)
				session.logout();
			session.user = name;
			if (isAnonymous(session, name))
				session.reply(331, "Anonymous login ok, send your e-mail address as password.");
			else
				session.reply(331, "Password required.");
		},
	},
	PASS: {
		anonymous: true, argument: "optional", help: "PASS <password>",
		async run(session, password) {
			if (session.loggedIn)
				return session.reply(230, "Already logged in.");
			if (!session.user)
				return session.reply(503, "Login with USER first.");
			const o = session.server.options;
			if (isAnonymous(session, session.user)) {
				session.writable = (o.anonymous === "write");
			}
			else if (!o.user || (session.user !== o.user) || (password !== (o.password ?? ""))) {
				session.loginFailures++;
				log.warn(`${session.label}: login failed for ${session.user}`);
				// slows down password guessing; the session's other input waits meanwhile
				await delay(o.failedLoginDelay);
				session.user = "";
				if (session.loginFailures >= o.maxLoginFailures)
					return session.close(421, "Too many failed logins, closing control connection.");
				return session.reply(530, "Login incorrect.");
			}
			else {
				session.writable = true;
				session.account = true;
			}
			session.loggedIn = true;
			log.info(`${session.label}: ${session.user} logged in${session.writable ? "" : " (read-only)"}`);
			session.reply(230, session.writable ? "Login successful." : "Login successful, read-only access.");
		},
	},
	ACCT: {
		anonymous: true, argument: "required", help: "ACCT <account>",
		run(session) {
			session.reply(202, "ACCT not needed.");
		},
	},
	REIN: {
		argument: "none", help: "REIN",
		run(session) {
			session.data.abort();
			session.data.release();
			session.logout();
			session.user = "";
			session.binary = false;
			session.epsvOnly = false;
			session.reply(220, "Service ready for new user.");
		},
	},
	QUIT: {
		anonymous: true, help: "QUIT",
		run(session) {
			session.close(221, "Goodbye.");
		},
	},
	AUTH: {
		anonymous: true, argument: "required", help: "AUTH <mechanism> (no TLS: refused)",
		run(session) {
			session.reply(502, "TLS is not available on this server.");
		},
	},
	PBSZ: {
		anonymous: true, argument: "required", help: "PBSZ <size> (no TLS: refused)",
		run(session) {
			session.reply(503, "No security mechanism in use (no AUTH).");
		},
	},
	PROT: {
		anonymous: true, argument: "required", help: "PROT <level> (no TLS: refused)",
		run(session) {
			session.reply(503, "No security mechanism in use (no AUTH).");
		},
	},
}, true);
