/*
 * Not built into any app: `npm run typecheck` checks here that the implementation
 * (server/api.ts) matches the contract apps compile against (ftpd.d.ts).
 */
import type * as Contract from "ftpd";
import ftpd, {FTPServer} from "../server/api";

const module: typeof Contract.default = ftpd;
const server: new (options?: Contract.FTPServerOptions) => Contract.FTPServer = FTPServer;
const options: Contract.FTPServerOptions = {} as import("../server/api").FTPServerOptions;
const back: import("../server/api").FTPServerOptions = {} as Contract.FTPServerOptions;

export {module, server, options, back};
