// The pure modules, compiled to CommonJS by `tsc -p tests/unit` (see scripts/test.js).
import {createRequire} from "node:module";
const require = createRequire(import.meta.url);
const root = "../../build/unit/";
export const utf8 = require(root + "modules/protocol/utf8.js");
export const lines = require(root + "modules/protocol/lines.js");
export const reply = require(root + "modules/protocol/reply.js");
export const address = require(root + "modules/protocol/address.js");
export const paths = require(root + "modules/files/paths.js");
export const format = require(root + "modules/listing/format.js");
export const listArgs = require(root + "modules/listing/arguments.js");
export const pool = require(root + "modules/datachannel/pool.js");
export const options = require(root + "modules/server/options.js");
export const report = require(root + "modules/session/report.js");
export const settings = require(root + "modules/server/settings.js");
export const password = require(root + "modules/server/password.js");
export const cli = require(root + "hosts/lin/cli.js");
