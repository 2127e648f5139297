/*
 * A logger beside the FTP server: the app appends a line to /log.txt every second with the
 * SDK's `file` module, while clients list and download the growing log over FTP. It also reads
 * what clients upload to /inbox/: for each file, it writes /outbox/<name>.txt (the file's
 * length and the sum of its bytes) and deletes the upload. A client may delete /log.txt: the
 * app starts a new one, its numbering going on.
 *
 * What a client sees of the log (README, "Your app's files and FTP"): each append is one
 * write and one close, in one turn of the app; a download reads the file as the volume holds
 * it, so it ends at a line's end, never in the middle of an append.
 */
import ftpd from "ftpd";
import {File, Iterator, Directory} from "file";
import Timer from "timer";

// the SDK's LittleFS file module takes absolute paths (config.file.root is "/"); so does ftpd's
const LOG = "/log.txt";
const INBOX = "/inbox/";
const OUTBOX = "/outbox/";

let line = 0;

function append(text: string): void {
	const file = new File(LOG, true);
	file.position = file.length;
	file.write(text);
	file.close();
}

function answer(name: string): void {
	const input = new File(INBOX + name);
	const bytes = new Uint8Array(input.length ? input.read(ArrayBuffer) : new ArrayBuffer(0));
	input.close();
	let sum = 0;
	for (let i = 0; i < bytes.length; i++)
		sum = (sum + bytes[i]) >>> 0;
	// written under another name, then renamed: a client never downloads half an answer
	const output = new File(OUTBOX + name + ".part", true);
	output.write(`${bytes.length} ${sum}\n`);
	output.close();
	File.delete(OUTBOX + name + ".txt");
	File.rename(OUTBOX + name + ".part", name + ".txt");
	File.delete(INBOX + name);
	append(`read ${name} ${bytes.length} ${sum}\n`);
}

function tick(): void {
	line++;
	append(`${line} ${Date.now()}\n`);
	// uploads still in progress are not listed (the file module leaves them out)
	const names: string[] = [];
	for (const entry of new Iterator(INBOX)) {
		if (undefined !== entry.length)
			names.push(entry.name);
	}
	for (const name of names)
		answer(name);
}

export default function main(): void {
	// start() mounts the volume (the flash partition; on Linux the image of FTPD_IMAGE)
	const server = ftpd.start();
	Directory.create(INBOX);
	Directory.create(OUTBOX);
	Timer.repeat(tick, 1000);
	trace(`logger: serving ${server.url()}\n`);
}
