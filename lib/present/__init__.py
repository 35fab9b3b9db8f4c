"""What each page shows, in the reader's language: tiles, table labels, Altair charts, map layers
and outlines. Pure: no SQLAlchemy, no streamlit; it takes what lib.queries returned."""
