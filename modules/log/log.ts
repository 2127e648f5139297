/*
 * The server's log. Verbosity can change while the server runs (from xsbug's console,
 * or SITE VERBOSE): 0 silent, 1 sessions, transfers and errors, 2 every command and reply.
 * Lines carry xsbug's <info>, <warn>, <error> tags so it colours them.
 */

export const log = {
	level: 1,
	/** where lines go; trace() by default, the host may redirect */
	write(line: string): void {
		trace(line + "\n");
	},
	info(text: string): void {
		if (this.level >= 1)
			this.write("<info>ftpd: " + text);
	},
	warn(text: string): void {
		if (this.level >= 1)
			this.write("<warn>ftpd: " + text);
	},
	error(text: string): void {
		if (this.level >= 1)
			this.write("<error>ftpd: " + text);
	},
	/** a command or reply, at level 2 */
	protocol(text: string): void {
		if (this.level >= 2)
			this.write("ftpd: " + text);
	},
};
