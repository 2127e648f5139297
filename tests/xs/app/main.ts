/*
 * A user's app beside the server, for the test that both share one volume: the server
 * starts as usual; the app answers "/request.bin" (uploaded over FTP) with "/reply.bin",
 * its bytes reversed, read and written through `import {File} from "file"`.
 */
import start from "ftpd/host/start";
import {File} from "file";
import Timer from "timer";

function answer(): void {
	if (!File.exists("/request.bin"))
		return;
	const input = new File("/request.bin");
	const data = new Uint8Array(input.length ? input.read(ArrayBuffer) : new ArrayBuffer(0));
	input.close();
	data.reverse();
	const output = new File("/reply.part", true);
	output.write(data);
	output.close();
	File.rename("/reply.part", "reply.bin");
	File.delete("/request.bin");
}

export default function main(): void {
	start();
	Timer.repeat(answer, 50);
}
