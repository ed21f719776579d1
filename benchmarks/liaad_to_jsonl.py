"""Convert a data set of the LIAAD KeywordExtractor-Datasets collection (a folder with
``docsutf8/*.txt``, ``keys/*.key`` and ``lan.txt``, as in its zips) to the JSON Lines
the keyphrase harness reads: ``{"id", "lang", "text", "keys"}`` per document.

    python benchmarks/liaad_to_jsonl.py /data/500N-KPCrowd-v1.1 /tmp/kpe-extra/500N-KPCrowd.jsonl

The shared data sets come from the same collection; this adds the others (other
languages and genres) for `benchmarks/kpe.py --extra`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def convert(folder: Path, out: Path) -> int:
    lang = (folder / "lan.txt").read_text(encoding="utf-8").split()[0].split("-")[0].lower()
    count = 0
    with out.open("w", encoding="utf-8") as sink:
        for doc in sorted((folder / "docsutf8").glob("*.txt")):
            keys_file = folder / "keys" / f"{doc.stem}.key"
            if not keys_file.exists():
                continue
            keys = [
                k.strip()
                for k in keys_file.read_text(encoding="utf-8", errors="replace").splitlines()
            ]
            text = doc.read_text(encoding="utf-8", errors="replace")
            record = {"id": doc.stem, "lang": lang, "text": text, "keys": [k for k in keys if k]}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    print(f"{convert(args.folder, args.out)} documents → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
