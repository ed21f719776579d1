"""Getting pages from the web: polite fetching, feed and sitemap parsing, text extraction."""
