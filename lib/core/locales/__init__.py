"""Label catalogs, one module per area of the app, each with a ZH and an EN dict.

`lib.core.i18n` merges every module in this package; a key must be unique across them.
"""
