"""tools/build_word_classes.py: the treebank table the engine's word classes come from."""

from __future__ import annotations

import gzip
import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "build_word_classes.py"

# A sentence per line in CoNLL-U: id, form, lemma, UPOS, XPOS, features (the rest unused)
SENTENCES = [
    [("1", "Pumpen", "pump", "NOUN", "Number=Sing"), ("2", "ger", "ge", "VERB", "VerbForm=Fin"),
     ("3", "värme", "värme", "NOUN", "_"), ("4", "snabbt", "snabb", "ADV", "_")],
    [("1", "Han", "han", "PRON", "_"), ("2", "ger", "ge", "VERB", "VerbForm=Fin"),
     ("3", "snabbt", "snabb", "ADV", "_"), ("4", "svar", "svar", "NOUN", "_")],
    [("1-2", "vid", "_", "_", "_"), ("1", "betala", "betala", "VERB", "VerbForm=Inf"),
     ("2", "stängda", "stänga", "VERB", "VerbForm=Part"), ("3", "dörrar", "dörr", "NOUN", "_"),
     ("4", "stängda", "stänga", "VERB", "VerbForm=Part"), ("5", "2,5", "2,5", "NUM", "_")],
    [("1", "Svar", "svar", "VERB", "VerbForm=Fin"), ("2", "ger", "ge", "AUX", "_")],
]  # fmt: skip


def _tool():
    spec = importlib.util.spec_from_file_location("build_word_classes", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path: Path) -> None:
    lines = []
    for sentence in SENTENCES:
        lines.append("# text = ...")
        for token_id, form, lemma, upos, feats in sentence:
            lines.append("\t".join([token_id, form, lemma, upos, "_", feats, "0", "_", "_", "_"]))
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_table_keeps_forms_never_tagged_as_nouns_and_seen_twice(tmp_path, monkeypatch):
    """'ger' (a verb every time, three times) and 'snabbt' (an adverb twice) enter;
    'stängda' is a participle, so an adjective; 'svar' was a noun once, so never;
    'betala' was seen once, so left out; numbers and multiword ranges say nothing."""
    tool = _tool()
    _write(tmp_path / "sv_talbanken-ud-test.conllu")
    out = tmp_path / "word_classes.tsv.gz"
    monkeypatch.setattr(tool, "TREEBANKS", {"sv": ("sv_talbanken",)})
    monkeypatch.setattr(sys, "argv", ["build", str(tmp_path), "--out", str(out)])
    tool.main()
    rows = gzip.decompress(out.read_bytes()).decode("utf-8").splitlines()
    assert rows == ["sv\tger\tV", "sv\tsnabbt\tR", "sv\tstängda\tA"]
    again = tmp_path / "elsewhere.tsv.gz"  # the same treebanks give the same bytes
    monkeypatch.setattr(sys, "argv", ["build", str(tmp_path), "--out", str(again)])
    tool.main()
    assert again.read_bytes() == out.read_bytes()


def test_a_language_without_its_treebank_stops_the_build(tmp_path, monkeypatch):
    tool = _tool()
    monkeypatch.setattr(tool, "TREEBANKS", {"sv": ("sv_talbanken",)})
    monkeypatch.setattr(sys, "argv", ["build", str(tmp_path), "--out", str(tmp_path / "t.gz")])
    with pytest.raises(SystemExit, match="no treebank for sv"):
        tool.main()
