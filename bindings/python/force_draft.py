"""pytest plugin for run-draft.sh: claims the draft API for pyzmq's draft tests.

pyzmq runs its draft tests only when zmq.DRAFT_API, which needs both a pyzmq
built with ZMQ_DRAFT_API=1 and zmq_has("draft") true at run time. ferrozmq
keeps zmq_has("draft") at 0 on purpose (until ws:// exists) while it exports
and implements the draft API, so this plugin, loaded before the test modules
are imported, sets zmq.DRAFT_API for a draft-built pyzmq.
"""

import zmq

if not zmq.backend.PYZMQ_DRAFT_API:
    raise RuntimeError("this pyzmq was not built with ZMQ_DRAFT_API=1")
zmq.DRAFT_API = True
