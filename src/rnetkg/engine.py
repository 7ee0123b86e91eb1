"""Where queries run: the embedded pyoxigraph store or rdflib's own engine (a SPARQL 1.1 endpoint:
rnetkg.endpoint.EndpointEngine, the same interface).

All three take the same query text and return rows as dicts of plain Python values.
"""

from __future__ import annotations

from typing import Any, Callable

from . import queries


class Engine:
    name = "engine"

    def select(self, text: str) -> list[dict[str, Any]]:
        """Run a SELECT whose parameters and profiles are already bound (queries.with_params/with_profiles)."""
        raise NotImplementedError

    def _cache(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_rnetkg_cache", {})

    def cached(self, key: str, build: Callable[["Engine"], Any], *, keep: bool = False) -> Any:
        """``build(self)`` once per engine (once per process for the shipped graph's store). With
        ``keep``, a value of plain JSON data (lists, dicts, text, numbers) read from the shipped graph's
        store is also kept in the cache folder for the next process (rnetkg.cache, named by the graph's
        hash)."""
        cache = self._cache()
        if key not in cache:
            cache[key] = self._kept(key, build) if keep else build(self)
        return cache[key]

    def _kept(self, key: str, build: Callable[["Engine"], Any]) -> Any:
        return build(self)


class StoreEngine(Engine):
    """The embedded pyoxigraph store: ``store``, or the process-wide store of the shipped graph, which
    is loaded (or waited for, see rnetkg.graph.preload) when a query first needs it."""
    name = "pyoxigraph"

    def __init__(self, store=None):
        from . import graph

        self._store = store
        # on the shipped graph's store: what is read from it once is shared and may be kept
        self.shared = store is None or store is graph.loaded_shared_store()

    @property
    def store(self):
        if self._store is None:
            from . import graph

            self._store = graph.shared_store()
        return self._store

    def loading_elsewhere(self) -> bool:
        """Whether the store is being loaded in another thread (rnetkg.graph.preload): asking for it then
        waits for that load."""
        from . import graph

        return self._store is None and graph.loading()

    def select(self, text):
        return queries.run_store(self.store, text)

    def _cache(self):
        if not self.shared:
            return super()._cache()
        from . import graph

        return graph.SHARED_VALUES   # facts read once from the shipped graph, shared by its engines

    def _kept(self, key, build):
        import json

        from . import cache, graph

        if not self.shared:
            return build(self)
        return cache.kept(key, graph.current_graph_hash(), lambda: build(self),
                          lambda v: json.dumps(v, separators=(",", ":")), json.loads)


class RdflibEngine(Engine):
    name = "rdflib"

    def __init__(self, g=None):
        from . import graph

        self.graph = g if g is not None else graph.load_rdflib()

    def select(self, text):
        return queries.run_rdflib(self.graph, text)
