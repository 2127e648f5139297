/*
 * The server's log. Verbosity can change while the server runs (from xsbug's console,
 * or SITE VERBOSE): 0 silent, 1 sessions, transfers and errors, 2 every command and reply.
 * In xsbug (devices, a debug build it is connected to) lines carry its <info>, <warn>, <error>
 * tags so it colours them; on a terminal the host sets `tags` false and they carry a plain word
 * ("ftpd: error: ...") instead.
 */

export const log = {
	level: 1,
	/** xsbug's tags (true) or plain level words (false) */
	tags: true,
	/** where lines go; trace() by default, the host may redirect */
	write(line: string): void {
		trace(line + "\n");
	},
	info(text: string): void {
		if (this.level >= 1)
			this.write((this.tags ? "<info>ftpd: " : "ftpd: info: ") + text);
	},
	warn(text: string): void {
		if (this.level >= 1)
			this.write((this.tags ? "<warn>ftpd: " : "ftpd: warning: ") + text);
	},
	error(text: string): void {
		if (this.level >= 1)
			this.write((this.tags ? "<error>ftpd: " : "ftpd: error: ") + text);
	},
	/** a command or reply, at level 2 */
	protocol(text: string): void {
		if (this.level >= 2)
			this.write("ftpd: " + text);
	},
};
