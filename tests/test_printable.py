"""``printable``: what a reader is shown of a text that may hold control characters (a case id, a pack's name)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nephrocalc.render.views import _CONTROL, printable


def test_every_control_character_and_only_those_is_replaced() -> None:
    # the quick check that skips the translation must find exactly the characters the translation replaces
    for code in range(0x3000):
        shown = printable(f"a{chr(code)}b")
        assert shown == ("a\ufffdb" if code in _CONTROL else f"a{chr(code)}b"), hex(code)


@given(st.text())
def test_printable_is_the_translation(text: str) -> None:
    assert printable(text) == text.translate(_CONTROL)
