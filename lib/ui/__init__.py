"""The one package that imports streamlit: the shell every page opens with (shell.py), the cached
queries (cache.py), the reader's choices (reader.py), who is signed in (signed_in.py), shared
widgets (widgets.py, map_card.py, paging.py) and one module per form area."""
