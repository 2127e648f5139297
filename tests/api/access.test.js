// The secure default and the passive address on the XS host: bound to 0.0.0.0 (every
// interface, as a board in soft-AP or AP+STA mode), the server answers PASV and EPSV with the
// address the client reached (here 127.0.0.2, another loopback address), the data connection
// works; without an account and off loopback, anonymous users are refused and the account
// "ftp" has the generated password printed on the ready output; loopback keeps anonymous write.
import {expect} from "chai";
import net from "node:net";
import {startServer} from "../ftp/server.js";
import {RawClient, readAll} from "../ftp/raw.js";

async function connect(port, host) {
	const client = await RawClient.connect(port, host);
	expect((await client.reply()).code).to.equal(220);
	return client;
}

async function login(client, user, password) {
	await client.command(`USER ${user}`);
	return client.command(`PASS ${password}`);
}

function dataSocket(host, port) {
	const socket = net.connect(port, host);
	return new Promise((resolve, reject) => { socket.once("connect", () => resolve(socket)); socket.once("error", reject); });
}

describe("secure default and interface addresses (0.0.0.0)", function () {
	this.timeout(60000);
	let server, password;
	before(async () => {
		server = await startServer({args: ["--host", "0.0.0.0"]});
		const m = /^ftpd: listening on ftp:\/\/0\.0\.0\.0:\d+\/ \(no account configured and 0\.0\.0\.0 is not loopback: log in as ftp with password (\S+)\)$/m.exec(server.stdout);
		expect(m, server.stdout).to.not.equal(null);
		password = m[1];
	});
	after(async () => { await server?.dispose(); });

	it("prints a generated password of 12 letters and digits", () => {
		expect(password).to.match(/^[a-zA-Z2-9]{12}$/);
	});

	it("refuses anonymous logins and any other name (530)", async () => {
		for (const user of ["anonymous", "ftp", "guest"]) {
			const client = await connect(server.port, "127.0.0.1");
			const reply = await login(client, user, (user === "ftp") ? "wrong" : "test@");
			expect(reply.code, `${user}: ${reply.text}`).to.equal(530);
			client.close();
		}
	});

	it("lets the account ftp in with the generated password, with write access", async () => {
		const client = await connect(server.port, "127.0.0.2");
		expect((await login(client, "ftp", password)).code).to.equal(230);
		expect((await client.command("MKD /made")).code).to.equal(257);
		expect((await client.command("RMD /made")).code).to.equal(250);
		client.close();
	});

	for (const host of ["127.0.0.2", "127.0.0.3", "127.0.0.1"]) {
		it(`answers PASV and EPSV with ${host} to a client that connected to ${host}, and the data connection works`, async () => {
			const client = await connect(server.port, host);
			expect((await login(client, "ftp", password)).code).to.equal(230);
			const body = Buffer.from(`reached through ${host}\n`);
			const pasv = await client.command("PASV");
			expect(pasv.code, pasv.text).to.equal(227);
			const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(pasv.text);
			expect(m.slice(1, 5).join(".")).to.equal(host);
			const up = await dataSocket(host, Number(m[5]) * 256 + Number(m[6]));
			expect((await client.command("STOR via.txt")).code).to.be.oneOf([125, 150]);
			up.end(body);
			expect((await client.reply()).code).to.equal(226);

			const epsv = await client.command("EPSV");
			expect(epsv.code, epsv.text).to.equal(229);
			const port = Number(/\(\|\|\|(\d+)\|\)/.exec(epsv.text)[1]);
			const down = await dataSocket(host, port);
			const received = readAll(down);
			expect((await client.command("RETR via.txt")).code).to.be.oneOf([125, 150]);
			expect((await received).equals(body)).to.equal(true);
			expect((await client.reply()).code).to.equal(226);
			client.close();
		});
	}
});

describe("secure default: what stays open", function () {
	this.timeout(60000);

	it("keeps anonymous write on loopback without an account", async () => {
		const server = await startServer();
		try {
			expect(server.stdout).to.not.match(/generated|no account configured/);
			const client = await connect(server.port, "127.0.0.1");
			expect((await login(client, "anonymous", "test@")).code).to.equal(230);
			expect((await client.command("MKD /open")).code).to.equal(257);
			client.close();
		}
		finally {
			await server.dispose();
		}
	});

	it("off loopback, gives anonymous users what --anonymous asks for, and generates no password", async () => {
		const server = await startServer({args: ["--host", "0.0.0.0", "--anonymous", "read"]});
		try {
			expect(server.stdout).to.not.match(/no account configured/);
			const client = await connect(server.port, "127.0.0.2");
			expect((await login(client, "anonymous", "test@")).code).to.equal(230);
			expect((await client.command("MKD /nope")).code).to.equal(550);
			client.close();
		}
		finally {
			await server.dispose();
		}
	});

	it("off loopback, with an account, uses it and generates nothing", async () => {
		const server = await startServer({args: ["--host", "0.0.0.0", "--user", "admin", "--password", "secret"]});
		try {
			expect(server.stdout).to.not.match(/no account configured/);
			const client = await connect(server.port, "127.0.0.2");
			expect((await login(client, "admin", "secret")).code).to.equal(230);
			client.close();
			const anonymous = await connect(server.port, "127.0.0.2");
			expect((await login(anonymous, "anonymous", "test@")).code).to.equal(530);
			anonymous.close();
		}
		finally {
			await server.dispose();
		}
	});
});
