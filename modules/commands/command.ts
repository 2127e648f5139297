/*
 * What the command table knows of each verb (as ftpserverlib's and pyftpdlib's tables):
 * its handler, whether it needs a login, its argument, whether it writes, and its HELP and
 * FEAT text. FEAT and HELP are generated from the table, never written twice. The types are
 * declared beside the session that runs the commands (session/session.ts), which does not
 * import this file, so that the two do not import each other.
 */
export type {Command, CommandTable} from "../session/session";
