/*
 * Module "ftpd": the server's public face for apps. Its contract, with every option, is
 * ftpd.d.ts; the implementation is server/api.ts.
 */
export {default, FTPServer} from "ftpd/server/api";
