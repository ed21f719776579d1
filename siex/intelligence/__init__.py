"""SEO intelligence: reports computed from a tenant's corpus (plain library, no Dagster).

Each report is a module with a pure ``build_*`` function from a ``corpus.Corpus`` to a
``publish.Report`` (rows for its warehouse table, headline figures, charts and a
Markdown summary); ``publish.publish`` writes it to the warehouse and the reports
folder. The Dagster assets in ``siex_assets/intelligence`` and the API's
``/v1/reports`` routes are thin layers over these.

- ``trends``: rising, falling and new keywords against the previous period.
- ``clusters``: pages grouped into topics by meaning, named by their central keyphrase.
- ``content_gap``: topics and keywords the competitors cover and the own sites do not.
- ``cannibalization``: own pages competing for one keyword or topic.
- ``topics``: what those three share (vector spaces, grouping, phrase vectors, topics).
- ``audit``: on-page issues with severities, scores per page and site (``linkcheck``:
  the bounded check of internal link targets it reads).
- ``links``: internal-link suggestions with verbatim anchors.
"""
