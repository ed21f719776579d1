"""The `siex` command. Heavy parts (Dagster, FastAPI) are imported only by the commands
that need them, so `siex extract` starts fast."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="siex", description="SIE-X semantic SEO intelligence")
    sub = parser.add_subparsers(dest="command", required=True)

    p_extract = sub.add_parser("extract", help="keywords for JSON Lines documents on stdin")
    p_extract.add_argument(
        "--top-k", type=int, default=10, help="keywords per document (default 10)"
    )
    p_extract.add_argument(
        "--batch-size", type=int, default=32, help="documents per model call (default 32)"
    )
    p_extract.add_argument(
        "--fast", action="store_true", help="statistical mode: no model, several times faster"
    )
    p_extract.add_argument(
        "--corpus-from-input",
        action="store_true",
        help="read the whole input first and use it as the corpus: phrases most documents "
        "share (boilerplate, a site's name) are pushed down; output starts after the last line",
    )

    sub.add_parser("demo", help="materialize everything for the demo tenant once, headless")
    p_ingest = sub.add_parser(
        "ingest",
        help="ingest one feed, sitemap, URL list or site once, in-process; prints a JSON summary",
    )
    p_ingest.add_argument("--tenant", required=True)
    p_ingest.add_argument("--kind", choices=["rss", "sitemap", "urllist", "site"], default=None,
                          help="default: detected from the URL and the content")  # fmt: skip
    p_ingest.add_argument("url")

    p_api = sub.add_parser("api", help="serve the REST API")
    p_api.add_argument("--host", default="127.0.0.1")
    p_api.add_argument("--port", type=int, default=8000)

    p_run = sub.add_parser(
        "run", help="demo site + Dagster (UI :3000) + API (:8000); Ctrl-C stops all"
    )
    p_run.add_argument("--dagster-port", type=int, default=3000)
    p_run.add_argument("--api-port", type=int, default=8000)

    p_site = sub.add_parser("demo-site", help="serve the demo tenant's sample sites")
    p_site.add_argument("--port", type=int, default=None)

    sub.add_parser("init", help="prepare SIEX_HOME: Dagster home, platform tables, demo tenant")

    p_models = sub.add_parser("models", help="the semantic model")
    models_sub = p_models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser(
        "prepare", help="export the model to ONNX once (cached) and time its load"
    )

    p_keys = sub.add_parser("keys", help="API keys")
    keys_sub = p_keys.add_subparsers(dest="keys_command", required=True)
    p_key_create = keys_sub.add_parser(
        "create", help="issue a new API key for a tenant; prints it once"
    )
    p_key_create.add_argument("--tenant", required=True)
    p_key_create.add_argument(
        "--scopes",
        default="read,write,extract",
        help="comma-separated: read, write, extract, pipelines, billing, admin",
    )

    args = parser.parse_args(argv)
    if args.command == "extract":
        if args.top_k < 1:
            parser.error("--top-k must be at least 1")
        from siex.extract_cli import run_extract

        return run_extract(
            args.top_k,
            mode="statistical" if args.fast else "semantic",
            batch_size=args.batch_size,
            corpus_from_input=args.corpus_from_input,
        )

    from siex.config import get_settings

    settings = get_settings()
    if args.command == "models":
        import time

        from siex.engine.extractor import extractor_from_settings
        from siex.engine.languages import SUPPORTED_LANGUAGES, frequency_code
        from siex.engine.lexicon_cache import prepare_tables
        from siex.intelligence.embeddings import Embedder

        started = time.perf_counter()
        extractor = extractor_from_settings(settings, "semantic")
        encoder = extractor.ranker().encoder
        seconds = round(time.perf_counter() - started, 2)
        # Long texts are re-ranked by all the model's layers too, and the reports'
        # embedder reads them all (batch-wise int8): more exports.
        prepared = {"onnx": str(encoder.onnx_path), "seconds": seconds}
        if extractor.deep_from_words:
            prepared["long_text_onnx"] = str(extractor.ranker(all_layers=True).encoder.onnx_path)
        embedder = Embedder(settings.model_path, settings.model_languages).encoder
        prepared["reports_onnx"] = str(embedder.onnx_path)
        # the lexicons' tables too: a process reads them faster than the packages load
        prepared["lexicon_tables"] = len(prepare_tables(map(frequency_code, SUPPORTED_LANGUAGES)))
        print(json.dumps(prepared))
        return 0
    if args.command == "ingest":
        from siex_assets.adhoc import IngestError, ingest_source_once, summary

        try:
            result = ingest_source_once(
                settings, args.tenant, args.url, args.kind, log=lambda m: print(m, file=sys.stderr)
            )
        except IngestError as exc:
            print(f"siex ingest: {exc}", file=sys.stderr)
            print(json.dumps(summary(errors=exc.errors)))
            return 1
        print(json.dumps(result))
        pages = result["fetched"] + result["unchanged"] + result["failed"]
        # Nothing ingested while something went wrong (every child sitemap unreadable,
        # say), or a run failed: not a success for a script to build on.
        return 1 if "run_failed" in result["errors"] or (result["errors"] and not pages) else 0
    if args.command == "demo":
        from siex_assets.demo import run_demo

        summary = run_demo(settings, log=lambda msg: print(msg, file=sys.stderr))
        print(
            json.dumps(
                {
                    k: summary[k]
                    for k in ("documents", "keywords", "report", "seo_reports", "warehouse")
                }
            )
        )
        return 0
    if args.command == "api":
        import uvicorn

        from siex_api.main import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port)
        return 0
    if args.command == "run":
        from siex.supervisor import run_platform

        return run_platform(settings, dagster_port=args.dagster_port, api_port=args.api_port)
    if args.command == "demo-site":
        import time

        from siex.demo_site import serve

        port = args.port or settings.demo_port
        serve(port)
        print(f"serving demo sites at http://127.0.0.1:{port}/", file=sys.stderr)
        while True:
            time.sleep(3600)
    if args.command == "init":
        from siex.bootstrap import ensure_demo_tenant
        from siex.instance import prepare_dagster_home

        prepare_dagster_home(settings)
        key = ensure_demo_tenant(settings)
        print(json.dumps({"home": str(settings.home), "demo_api_key_created": bool(key)}))
        return 0
    if args.command == "keys":
        from siex.platform.db import session_scope
        from siex.platform.models import Tenant
        from siex.platform.service import issue_api_key

        with session_scope(settings.platform_db_url) as session:
            tenant = session.get(Tenant, args.tenant)
            if tenant is None:
                print(f"no tenant {args.tenant!r}", file=sys.stderr)
                return 1
            plaintext, _key = issue_api_key(
                session,
                tenant,
                settings.resolved_secret_key(),
                name="cli",
                scopes=args.scopes.split(","),
            )
            print(plaintext)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
