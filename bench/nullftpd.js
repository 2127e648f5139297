// A server that does no work: replies at once, serves downloads from memory and drops uploads.
// Measured like the real servers, it gives the client's own ceiling on this machine: a server
// whose figure comes near it is measuring the client, not itself. Run as its own process
// (node bench/nullftpd.js), so that it does not share the client's event loop; it prints
// its port once it listens.
import net from "node:net";
import {BIG_NAME, BIG_SIZE, SMALL_SIZE, LIST_COUNT, listName} from "./data.js";

const big = Buffer.alloc(BIG_SIZE, 0x5a);
const small = Buffer.alloc(SMALL_SIZE, 0x5a);
// about as long as a real `ls -l` line of the listing folder
const listing = Buffer.from(Array.from({length: LIST_COUNT}, (_, i) =>
	`-rw-r--r--    1 ftp      ftp            ${String(i % 97).padStart(5)} Jan 01 12:00 ${listName(i)}\r\n`).join(""));

function session(control) {
	let pending;		// the passive listener's next data connection
	let buffer = "";
	control.setNoDelay(true);
	control.setEncoding("latin1");
	const reply = text => control.write(text + "\r\n");
	control.write("220 null server\r\n");

	function passive() {
		const listener = net.createServer();
		pending = new Promise(resolve => listener.once("connection", socket => {
			listener.close();
			resolve(socket);
		}));
		listener.listen(0, "127.0.0.1", () => {
			const port = listener.address().port;
			reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).`);
		});
	}

	async function send(bytes) {
		const data = await pending;
		reply("150 Opening.");
		data.end(bytes, () => reply("226 Done."));
	}

	async function receive() {
		const data = await pending;
		reply("150 Ok to send.");
		data.on("data", () => {});
		data.on("end", () => {
			data.destroy();
			reply("226 Done.");
		});
	}

	function line(text) {
		const space = text.indexOf(" ");
		const verb = (space < 0 ? text : text.slice(0, space)).toUpperCase();
		const argument = space < 0 ? "" : text.slice(space + 1);
		switch (verb) {
			case "USER": return reply("230 Logged in.");
			case "PASS": return reply("230 Logged in.");
			case "TYPE": return reply("200 Ok.");
			case "PASV": return passive();
			case "RETR": return send(argument.endsWith(BIG_NAME) ? big : small);
			case "LIST": return send(listing);
			case "STOR": return receive();
			case "DELE": return reply("250 Deleted.");
			case "MKD": return reply(`257 "${argument}" created.`);
			case "QUIT":
				reply("221 Bye.");
				return control.end();
			default: return reply("502 Not here.");
		}
	}

	control.on("data", text => {
		buffer += text;
		let end;
		while ((end = buffer.indexOf("\r\n")) >= 0) {
			const text = buffer.slice(0, end);
			buffer = buffer.slice(end + 2);
			line(text);
		}
	});
	control.on("error", () => {});
}

const server = net.createServer(session);
server.listen(0, "127.0.0.1", () => console.log(`nullftpd: listening on port ${server.address().port}`));
