"""The offline verifier reads the files it is given as UTF-8 whatever the machine's locale: a verifier key
or a kept checkpoint saved as the server's JSON may hold text beyond ASCII, and an auditor's machine may
run with a locale whose encoding is ASCII (the C locale with Python's UTF-8 mode and locale coercion
off). Run as a subprocess, since the locale's encoding is fixed when Python starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from archive.audit.verify_evidence import main
from archive.eventstore.merkle import root
from tests.unit.test_evidence_pack_checks import KEY, TREE, build_pack, signed

ROOT = Path(__file__).resolve().parents[2]
#: A locale whose encoding is ASCII: the C locale, neither coerced to C.UTF-8 nor in UTF-8 mode.
ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
RUN = (
    "import locale, sys\n"
    "print(locale.getpreferredencoding(False))\n"
    "from archive.audit.verify_evidence import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_files_beyond_ascii_are_read_as_utf8_under_an_ascii_locale(tmp_path: Path) -> None:
    pack_file = tmp_path / "pack.json"
    pack_file.write_text(json.dumps(build_pack()), encoding="utf-8")
    # The JSON of /.well-known/log-key and of /log/checkpoint, with a field beyond ASCII written as itself.
    key_file = tmp_path / "log-key.json"
    key_file.write_text(
        json.dumps({"verifier_key": KEY, "about": "clé du journal"}, ensure_ascii=False), "utf-8"
    )
    kept = tmp_path / "checkpoint.json"
    note = {"note": signed(5, root(TREE)), "about": "Prüfpunkt"}
    kept.write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")
    args = [str(pack_file), "--public-key", str(key_file), "--checkpoint", str(kept)]
    # In this process, whatever its locale, and in one whose locale is ASCII.
    assert main(args) == 0
    env = {**os.environ, **ASCII_LOCALE}
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    printed = done.stdout.splitlines()
    # The locale really is ASCII: otherwise this test could not tell a file read with the locale's
    # encoding from one read as UTF-8.
    assert printed[0] in ("ANSI_X3.4-1968", "ascii", "US-ASCII"), done.stdout + done.stderr
    assert (done.returncode, printed[-1]) == (0, "VERIFIED"), done.stdout + done.stderr
    assert "ok   kept checkpoint: the same tree of 5" in printed
