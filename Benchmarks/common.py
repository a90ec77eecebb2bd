"""What the benchmark runners share: the corpus file, and their sections of RESULTS.md."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def ensure_corpus(work, lines):
    """The corpus of `lines` logstash lines in `work`, generated once."""
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, f"corpus-{lines}.jsonl")
    if not os.path.exists(corpus + ".meta.json"):
        subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), "--lines", str(lines), "--out", corpus], check=True)
    return corpus


def replace_section(path, name, section):
    """Puts `section` (which starts and ends with the <!-- name:start/end --> markers) into
    the report, in place of the previous one, or at the end."""
    start_mark, end_mark = "<!-- %s:start -->" % name, "<!-- %s:end -->" % name
    text = open(path).read() if os.path.exists(path) else ""
    if start_mark in text:
        start = text.index(start_mark)
        end = text.index(end_mark) + len(end_mark)
        text = text[:start] + section + text[end:]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)
