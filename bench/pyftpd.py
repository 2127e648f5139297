# pyftpdlib as the benchmark's reference: anonymous, read and write, on loopback, any free port.
# A script rather than `python3 -m pyftpdlib -w` so that its log stays at WARNING like the
# other servers' (the module's default logs every command and transfer at INFO), and so that
# the port it chose can be printed once it listens.
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

logging.basicConfig(level=logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous(sys.argv[1], perm="elradfmwMT")
FTPHandler.authorizer = authorizer
server = FTPServer(("127.0.0.1", 0), FTPHandler)
print("pyftpdlib: listening on port %d, sendfile %s" % (server.address[1], FTPHandler.use_sendfile), flush=True)
server.serve_forever()
