// The raw control-connection client the XS-tier tests rely on, against a scripted Node server:
// a reply wait that times out must not leave its waiter behind, or every later reply is read
// one off (a test would then check the answer to the previous command).
import {expect} from "chai";
import net from "node:net";
import {RawClient} from "./raw.js";

describe("RawClient", function () {
	this.timeout(10000);
	let server, peer;
	beforeEach(async () => {
		server = net.createServer(socket => { peer = socket; socket.write("220 ready\r\n"); });
		await new Promise(resolve => server.listen(0, "127.0.0.1", resolve));
	});
	afterEach(async () => {
		peer?.destroy();
		await new Promise(resolve => server.close(resolve));
	});

	it("gives a reply that comes after a timed-out wait to the next wait, in order", async () => {
		const c = await RawClient.connect(server.address().port);
		try {
			expect((await c.reply()).code).to.equal(220);
			let error;
			await c.reply(50).catch(e => { error = e; });
			expect(error, "the wait timed out").to.be.an("error");
			expect(c.waiters).to.have.length(0);
			peer.write("200 late\r\n");
			peer.write("211-multi\r\n line\r\n211 end\r\n");
			expect(await c.reply()).to.deep.equal({code: 200, text: "200 late"});
			expect(await c.reply()).to.deep.equal({code: 211, text: "211-multi\n line\n211 end"});
		}
		finally {
			c.close();
		}
	});

	it("answers closed once the server has closed the connection", async () => {
		const c = await RawClient.connect(server.address().port);
		try {
			expect((await c.reply()).code).to.equal(220);
			peer.end("421 bye\r\n");
			expect((await c.reply()).code).to.equal(421);
			expect(await c.reply()).to.deep.equal({code: 0, text: "", closed: true});
		}
		finally {
			c.close();
		}
	});
});
