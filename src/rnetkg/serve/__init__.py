"""`rnetkg serve`: the graph, read-only, behind one address.

Graph layout: everything is in the **default graph**: the domain ontology ontology/rnet.ttl and its
application module ontology/rnet-app.ttl, every kg/ Turtle file and
the derived referral recommendations built by queries/expand-referrals.rq, the same triples as the
embedded store (graph.serialize_expanded). No named graphs, so the queries of queries/ (which use no
GRAPH clause) run unchanged, and `rnetkg --endpoint` gives the same answers as the embedded store.

Parts: child.py (the Oxigraph server as a sandboxed, supervised child process on a private loopback
port), guard.py (no SERVICE), app.py (the Starlette front: `/query`, `/sparql`, the page, the CDS
service, refusals), proxy.py (queries forwarded to the child within the limits), protocol.py (the
HTTP connection: read and write-stall timeouts), ui.py (the query UI configured for this graph),
address.py (--bind, --public-url), server.py (start_server, run, banner, dump). Nothing here prints: the CLI prints; events go to the
`rnetkg.serve` logger.

    rnetkg serve --dump FILE.nt            # the expanded graph, to load into another triple store
"""

from .child import BINARY_ENV, ServeError, build_store, find_oxigraph
from .server import (DEFAULT_BIND, DEFAULT_MAX_REPLY_MB, DEFAULT_MEMORY_LIMIT_MB, DEFAULT_QUERY_TIMEOUT_S,
                     ServerHandle, banner, check_bindable, describe_layout, dump, example_queries, parse_bind,
                     parse_public_url, run, start_server)

__all__ = ["BINARY_ENV", "DEFAULT_BIND", "DEFAULT_MAX_REPLY_MB", "DEFAULT_MEMORY_LIMIT_MB",
           "DEFAULT_QUERY_TIMEOUT_S", "ServeError", "ServerHandle", "banner", "build_store", "check_bindable",
           "describe_layout", "dump", "example_queries", "find_oxigraph", "parse_bind", "parse_public_url",
           "run", "start_server"]
