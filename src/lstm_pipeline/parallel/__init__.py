"""Where the data stages run: in this process (``engine.name: pandas``) or on a Dask cluster
(``dask``). The library functions take a ``map_items`` callable; :mod:`.engine` gives the
serial one and the Dask one, so the Dask path is a thin map around the same functions."""
