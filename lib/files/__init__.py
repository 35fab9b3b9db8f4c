"""Files in and out: Excel downloads and templates, upload parsing, chart pictures, the meeting deck
and the printable brief. No streamlit; writes go through lib.services."""
