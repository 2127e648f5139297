/*
 * What the command table knows of each verb (as ftpserverlib's and pyftpdlib's tables):
 * its handler, whether it needs a login, its argument, whether it writes, and its HELP and
 * FEAT text. FEAT and HELP are generated from the table, never written twice.
 */
import type {Session} from "../session/session";

export interface Command {
	run(session: Session, argument: string): void | Promise<void>;
	/** allowed before login (FEAT, SYST, OPTS...) */
	anonymous?: boolean;
	/** "required": 501 without one; "none": 501 with one */
	argument?: "required" | "none" | "optional";
	/** changes storage: refused to read-only users */
	writes?: boolean;
	/** uses the data channel: released when the command fails before its transfer */
	transfer?: boolean;
	/** syntax for HELP, e.g. "RETR <path>" */
	help: string;
	/** FEAT lines this verb adds */
	feat?: string[];
}

export type CommandTable = Record<string, Command>;
