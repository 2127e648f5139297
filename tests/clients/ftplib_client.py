# Python's ftplib against the server: `python3 ftplib_client.py STEP PORT DIR` runs one step
# and prints one JSON object; the mocha suite (python.test.js) makes the assertions.
import ftplib
import hashlib
import io
import json
import os
import sys
import time

step, port, local = sys.argv[1], int(sys.argv[2]), sys.argv[3]
FOLDER = "dossier été"


def connect():
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=20)
    ftp.login("anonymous", "test@")
    return ftp


def sha(data):
    return hashlib.sha256(data).hexdigest()


def scenario():
    out = {}
    data = open(os.path.join(local, "up.bin"), "rb").read()
    ftp = connect()
    out["welcome"] = ftp.getwelcome()
    out["root"] = ftp.nlst()
    out["mkd"] = ftp.mkd(FOLDER)
    out["cwd"] = ftp.cwd(FOLDER)
    out["stor"] = ftp.storbinary("STOR fichier 1.bin", io.BytesIO(data))
    out["mlsd"] = [[name, facts] for name, facts in ftp.mlsd()]
    out["mlsd_root"] = [[name, facts] for name, facts in ftp.mlsd("/")]
    lines = []
    # retrlines sends TYPE A first
    out["list"] = ftp.retrlines("LIST", lines.append)
    out["list_lines"] = lines
    out["size"] = ftp.size("fichier 1.bin")
    back = io.BytesIO()
    out["retr"] = ftp.retrbinary("RETR fichier 1.bin", back.write)
    out["retr_sha"] = sha(back.getvalue())
    out["sent_sha"] = sha(data)
    out["rename"] = ftp.rename("fichier 1.bin", "renommé.bin")
    out["after_rename"] = ftp.nlst()
    out["delete"] = ftp.delete("renommé.bin")
    out["after_delete"] = ftp.nlst()
    out["cdup"] = ftp.cwd("..")
    out["rmd"] = ftp.rmd(FOLDER)
    out["after_rmd"] = ftp.nlst()
    out["quit"] = ftp.quit()
    return out


def abort():
    """ftplib's abort(): ABOR sent as TCP urgent data (MSG_OOB), during a large RETR."""
    out = {}
    ftp = connect()
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("RETR big.bin")
    received = 0
    while received < 256 * 1024:
        chunk = conn.recv(65536)
        if not chunk:
            break
        received += len(chunk)
    out["received_before_abort"] = received
    started = time.time()
    ftp.sock.settimeout(8)
    try:
        out["abort"] = ftp.abort()
        if out["abort"].startswith("426"):
            out["after_426"] = ftp.getresp()
    except Exception as e:  # the test reports what happened instead of a traceback
        out["abort_error"] = "%s: %s" % (type(e).__name__, e)
    out["abort_seconds"] = round(time.time() - started, 2)
    conn.close()
    try:
        out["noop"] = ftp.voidcmd("NOOP")
        out["nlst"] = ftp.nlst()
        ftp.quit()
    except Exception as e:
        out["after_error"] = "%s: %s" % (type(e).__name__, e)
    return out


print(json.dumps({"scenario": scenario, "abort": abort}[step](), ensure_ascii=False))
