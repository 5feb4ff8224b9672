"""Masking a run's secret values wherever they show up in its output, at any depth."""

from __future__ import annotations

from attune.domain.secrets import MASK, MIN_MASKED_LENGTH, masking, plaintexts


def test_every_occurrence_in_nested_text_numbers_and_keys_is_masked() -> None:
    mask = masking({"hunter2", "5432"})
    output = {
        "exit_code": 0,
        "stdout": "password=hunter2\nagain: hunter2!",
        "data": {"items": ["x hunter2 y", 5432, 15432, True, None], "hunter2": "key"},
    }
    assert mask(output) == {
        "exit_code": 0,
        "stdout": f"password={MASK}\nagain: {MASK}!",
        "data": {"items": [f"x {MASK} y", MASK, f"1{MASK}", True, None], MASK: "key"},
    }
    assert mask("nothing to hide") == "nothing to hide"
    assert mask(None) is None


def test_a_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    # Masked shortest first, "hunter2-prod" would leave "-prod" of it in plain sight.
    assert masking({"hunter2", "hunter2-prod"})("use hunter2-prod") == f"use {MASK}"


def test_the_plaintexts_of_a_value_are_its_texts_and_numbers_long_enough_to_mask() -> None:
    # As given, stripped, and as a JSON string shows it (the action got it as JSON).
    assert plaintexts(" hunter2\n") == {" hunter2\n", "hunter2", " hunter2\\n"}
    assert plaintexts('pä"ss') == {'pä"ss', 'pä\\"ss', 'p\\u00e4\\"ss'}
    assert plaintexts({"user": "operator", "pin": 123456, "on": True, "short": "ab"}) == {
        "operator",
        "123456",
    }
    assert plaintexts(["token-one", ["token-two"]]) == {"token-one", "token-two"}
    assert plaintexts("x" * (MIN_MASKED_LENGTH - 1)) == set()
    assert plaintexts("") == set() and plaintexts(None) == set()


def test_with_no_secrets_a_value_is_returned_unchanged() -> None:
    output = {"stdout": "********", "n": [1, 2]}
    assert masking(set())(output) == output
