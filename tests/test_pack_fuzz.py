"""Broken rule packs: real packs (the extended knowledge base, the example pack) with one or more files
damaged the ways hand edits go wrong (a value replaced by one of another type or out of range, a key
misspelt, a line or a table doubled or deleted, a file cut short). `rules check` and `diff --rules`
must agree, name the problem in one line and exit 2, and never show a traceback; a pack they accept
must rank (probabilities summing to 1)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from helpers import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz import PROFILE

from nephrocalc.loader import extended_rules_dir

PACKS = [extended_rules_dir(), Path(__file__).parents[1] / "docs" / "packs" / "bartter"]
VALUES = ["-1", "0", "1e308", "nan", "inf", "-inf", '"x"', "[]", "{}", "true", "1.5", "100", "0.0000001",
          '"medullary"', '"HP:0000121"', '""', '"\\u0000"', "99999999999999999999999"]
NAMES = ['"nonexistent_id"', '""', '"a b"', '"HP:9999999"', '"' + "x" * 300 + '"']


@st.composite
def damage(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.integers(0, 6))
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        assigned = [i for i, line in enumerate(lines) if "=" in line]
        if kind == 0 and lines:
            del lines[at]
        elif kind == 1 and assigned:
            i = draw(st.sampled_from(assigned))
            value = draw(st.sampled_from(VALUES))
            lines[i] = lines[i].split("=", 1)[0] + "= " + value
        elif kind == 2 and assigned:
            i = draw(st.sampled_from(assigned))
            key, value = lines[i].split("=", 1)
            lines[i] = key.rstrip() + "x = " + value
        elif kind == 3:
            quoted = [i for i in assigned if '"' in lines[i]]
            if quoted:
                i = draw(st.sampled_from(quoted))
                name = draw(st.sampled_from(NAMES))
                found = re.search(r'"[^"]*"', lines[i])
                if found:
                    lines[i] = lines[i][: found.start()] + name + lines[i][found.end():]
        elif kind == 4 and lines:
            lines.insert(at, lines[draw(st.integers(0, len(lines) - 1))])
        elif kind == 5:
            tables = [i for i, line in enumerate(lines) if line.startswith("[")]
            if tables:
                i = draw(st.sampled_from(tables))
                lines.insert(i, lines[i])
        else:
            return "\n".join(lines)[: draw(st.integers(0, len(text)))]
    return "\n".join(lines)


@settings(max_examples=20 if PROFILE == "ci" else 400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_damaged_pack_is_refused_in_one_line_or_ranks(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(PACKS))
    with tempfile.TemporaryDirectory() as folder:
        pack = Path(folder) / "pack"
        shutil.copytree(source, pack)
        files = sorted(pack.rglob("*.toml"))
        for path in data.draw(st.lists(st.sampled_from(files), min_size=1, max_size=3, unique=True)):
            path.write_text(data.draw(damage(path.read_text(encoding="utf-8"))), encoding="utf-8")
        checked, _, check_err = invoke(["rules", "check", str(pack)])
        ranked, out, err = invoke(["diff", "--rules", str(pack), "-p", "medullary", "--hypercalcemia",
                                   "--format", "json"])
    for status, message in ((checked, check_err), (ranked, err)):
        assert status in (0, 2), message
        assert "Traceback" not in message and "internal error" not in message, message
    assert (checked == 0) == (ranked == 0), (check_err, err)
    if ranked == 2:
        assert len(err.strip().splitlines()) == 1 and err.strip(), err
    else:
        probabilities = [e["probability"] for e in json.loads(out)["differential"]]
        assert abs(sum(probabilities) - 1.0) < 1e-6 and all(0.0 <= p <= 1.0 for p in probabilities)
