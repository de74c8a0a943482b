"""The settings tables: each setting reads its system parameter as its
reader did before the tables existed, garbage included, except that a text
the reader failed on now reads as the default."""

import importlib.util
import math
import sys
from unittest import mock

import pytest
from conftest import ROOT, _package, load_lib
from hypothesis import given
from hypothesis import strategies as st

lib = load_lib("my_api", "settings")
retry = load_lib("my_webhooks", "retry")
documents = load_lib("my_api", "documents")


def load_table(addon):
    """`<addon>/settings.py` without Odoo: its import of my_api's public
    module is served by the lib file itself, its relative imports by its
    folder."""
    name = f"_suite_addon.{addon}.settings"
    if name in sys.modules:
        return sys.modules[name]
    _package("_suite_addon")
    _package(f"_suite_addon.{addon}", ROOT / addon)
    spec = importlib.util.spec_from_file_location(name, ROOT / addon / "settings.py")
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(sys.modules, {"odoo.addons.my_api.public": lib}):
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


TABLES = {
    addon: load_table(addon).SETTINGS for addon in ("my_api", "my_webhooks", "my_oauth_provider")
}


# --------------------------------------------------------------- the readers
# Each reader as it stood at its call site before the tables (the stored
# text in, what the reader got out), with ir.config_parameter's get_param:
# `stored or default`.
def _lenient(default, floor):
    def read(value):
        value = value or False
        try:
            return max(floor, int(value)) if value else default
        except ValueError:
            return default

    return read


def _digits(default, positive):
    def read(value):
        value = value or False
        ok = value and value.isdigit() and (not positive or int(value) > 0)
        return int(value) if ok else default

    return read


def _write_limit(value):
    value = value or ""
    try:
        return int(value) if value.strip() else 30
    except ValueError:
        return 30


def _yes_no(value):
    """my_api.refuse_keys_without_expiry (new with its table row): on
    unless the text says no."""
    word = str(value or "").strip().lower()
    return word not in ("false", "0", "no", "off")


def _positive_int(value):
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else 90


OLD_READERS = {
    "my_api": {
        "max_body_bytes": _lenient(1048576, 0),
        "max_page_size": _digits(200, positive=True),
        "count_limit": _digits(10000, positive=False),
        "apikey_cache_ttl": _lenient(30, 0),
        "refuse_keys_without_expiry": _yes_no,
        "rate_limit": lambda value: int(value or 600),
        "rate_limit_window": lambda value: max(1, int(value or 60)),
        "rate_limit_anonymous": _lenient(60, 0),
        "request_log": lambda value: value or "all",
        "request_log_days": lambda value: int(value or 30),
        "changes_retention_days": _lenient(30, 1),
        "attachment_mimetypes": lambda value: (
            documents.parse_mimetypes(value) if value else documents.DEFAULT_MIMETYPES
        ),
    },
    "my_webhooks": {
        "batch_size": lambda value: int(value or 50),
        "worker_lanes": lambda value: max(1, int(value or 4)),
        "retention_days": lambda value: int(value or 30),
        "allowed_targets": lambda value: value or "",
        "retry_schedule": lambda value: retry.parse_schedule(value or ""),
        "disable_after_hours": lambda value: float((value or "24") or 24),
        "endpoint_write_limit": _write_limit,
        "event_retention_days": lambda value: int(value or 30),
    },
    "my_oauth_provider": {
        "max_key_days": _digits(90, positive=True),
        "rotation_grace_days": _digits(7, positive=False),
        "max_keys_per_user": _digits(5, positive=True),
        "refresh_family_days": _positive_int,
    },
}
CASES = [(addon, name) for addon, readers in OLD_READERS.items() for name in readers]
GARBAGE = [
    None,
    False,
    "",
    " ",
    "0",
    "1",
    "5",
    "-1",
    "-5",
    "+3",
    " 7 ",
    "\t8\n",
    "007",
    "1_000",
    "1.5",
    "10.0",
    "1e3",
    "nan",
    "inf",
    "ninety",
    "²",  # isdigit() and yet not int()
    "٣",  # an Arabic-Indic three: isdigit() and int() reads it
    "9" * 30,
    "9" * 5000,  # past int()'s digit limit: ValueError
    "60,300",
    "all",
    "errors",
    "127.0.0.1",
]


def outcome(read, value):
    """What a reader does with a text: its value (and type), or its error."""
    try:
        result = read(value)
    except Exception as exc:  # any error: the same one, where the reader had it
        return ("raises", type(exc))
    if isinstance(result, float) and math.isnan(result):
        return ("nan", float)
    return (result, type(result))


def expected(addon, name, value):
    """What the reader did with `value`, except that a text it failed on
    now reads as the setting's default: a typo in a system parameter must
    not make every request that reads it fail."""
    result = outcome(OLD_READERS[addon][name], value)
    if result[0] == "raises":
        default = TABLES[addon][name].default
        return (default, type(default))
    return result


def test_the_tables_name_every_parameter_a_reader_read():
    for addon, table in TABLES.items():
        assert {setting.name for setting in table} == set(OLD_READERS[addon])
        assert all(table.key(name).startswith(f"{addon}.") for name in OLD_READERS[addon])


@pytest.mark.parametrize(("addon", "name"), CASES)
@pytest.mark.parametrize("value", GARBAGE, ids=repr)
def test_each_setting_reads_as_its_reader_did(addon, name, value):
    setting = TABLES[addon][name]
    assert outcome(setting.parse, value) == expected(addon, name, value)


NUMBERISH = st.lists(st.sampled_from(" \t+-0123456789٣²_.,e"), max_size=8).map("".join)


@given(value=st.text(max_size=12) | NUMBERISH)
def test_every_setting_reads_any_text_as_its_reader_did(value):
    for addon, name in CASES:
        setting = TABLES[addon][name]
        assert outcome(setting.parse, value) == expected(addon, name, value), name


def test_refuse_keys_without_expiry_reads_yes_and_no():
    refuse = TABLES["my_api"]["refuse_keys_without_expiry"]
    for value in ("True", "true", " 1 ", "yes", "ON"):
        assert refuse.parse(value) is True
    for value in ("False", "false", "0", " no ", "Off"):
        assert refuse.parse(value) is False
    # unset or unreadable: on, as a new database has it
    for value in (None, False, "", " ", "perhaps", "2"):
        assert refuse.parse(value) is True


def test_refresh_family_days_falls_back_on_garbage():
    family_days = TABLES["my_oauth_provider"]["refresh_family_days"]
    assert family_days.parse("30") == 30
    assert family_days.parse(" 7 ") == 7
    for value in (None, "", "0", "-5", "1.5", "ninety", False):
        assert family_days.parse(value) == 90


def test_defaults_as_the_readers_returned_them():
    api, hooks, oauth = TABLES["my_api"], TABLES["my_webhooks"], TABLES["my_oauth_provider"]
    assert api["max_body_bytes"].default == 1048576
    assert api["rate_limit"].default == 600
    assert api["request_log"].default == "all"
    # a float, so the endpoint's "failed for more than 24.0 hours" reads as before
    assert type(hooks["disable_after_hours"].default) is float
    assert hooks["retry_schedule"].default == retry.DEFAULT_SCHEDULE
    assert oauth["max_keys_per_user"].default == 5


# ------------------------------------------------------------ the machinery
class FakeParams:
    """ir.config_parameter as the table sees it: sudo() and get_param."""

    def __init__(self, values):
        self.values = values
        self.sudoed = False

    def sudo(self):
        self.sudoed = True
        return self

    def get_param(self, key, default=False):
        return self.values.get(key) or default


def test_get_reads_the_prefixed_key_as_superuser():
    table = lib.Settings("acme", lib.Setting("size", "int", 3, minimum=1))
    params = FakeParams({"acme.size": "0"})
    env = {"ir.config_parameter": params}
    assert table.get(env, "size") == 1
    assert params.sudoed
    assert table.get({"ir.config_parameter": FakeParams({})}, "size") == 3
    with pytest.raises(KeyError):
        table.get(env, "unknown")


def test_kinds():
    assert lib.Setting("n", "int", 1).parse(" -4 ") == -4
    assert lib.Setting("n", "digits", 1).parse(" 4") == 1  # blanks: not digits
    assert lib.Setting("n", "digits", 1, strip=True).parse(" 4 ") == 4
    assert lib.Setting("n", "digits", 1).parse("-4") == 1
    assert lib.Setting("n", "float", 1.0).parse("2.5") == 2.5
    assert lib.Setting("n", "text", "a").parse("b") == "b"
    assert lib.Setting("n", lambda text: text.split(","), []).parse("a,b") == ["a", "b"]
    for kind in ("int", "digits", "float", "text"):
        assert lib.Setting("n", kind, "d").parse(None) == "d"
        assert lib.Setting("n", kind, "d").parse("") == "d"


def test_invalid_text_falls_back_or_raises_as_declared():
    assert lib.Setting("n", "int", 1).parse("many") == 1
    assert lib.Setting("n", "digits", 1).parse("²") == 1
    assert lib.Setting("n", "float", 1.5).parse("1,5") == 1.5
    with pytest.raises(ValueError):
        lib.Setting("n", "int", 1, invalid="raise").parse("many")
    with pytest.raises(ValueError):
        lib.Setting("n", "digits", 1, invalid="raise").parse("²")


def test_no_setting_of_the_tables_fails_on_garbage():
    for addon, table in TABLES.items():
        for setting in table:
            for value in GARBAGE:
                assert outcome(setting.parse, value)[0] != "raises", (addon, setting.name, value)


def test_bounds_clamp_or_fall_back_as_declared():
    clamped = lib.Setting("n", "int", 5, minimum=1, maximum=10)
    assert [clamped.parse(text) for text in ("0", "1", "10", "11")] == [1, 1, 10, 10]
    fallback = lib.Setting("n", "int", 5, minimum=1, maximum=10, out_of_bounds="default")
    assert [fallback.parse(text) for text in ("0", "1", "10", "11")] == [5, 1, 10, 5]
    # the default is returned as written, even outside the bounds
    assert lib.Setting("n", "int", 0, minimum=1).parse(None) == 0


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown kind"):
        lib.Setting("n", "integer", 1)
    with pytest.raises(ValueError, match="invalid"):
        lib.Setting("n", "int", 1, invalid="ignore")
    with pytest.raises(ValueError, match="out_of_bounds"):
        lib.Setting("n", "int", 1, out_of_bounds="wrap")
    with pytest.raises(ValueError, match="declared twice"):
        lib.Settings("acme", lib.Setting("n", "int", 1), lib.Setting("n", "int", 2))


def test_settings_field_takes_key_and_default_from_the_table():
    table = lib.Settings("acme", lib.Setting("size", "int", 3))
    assert table.field("size") == {"config_parameter": "acme.size", "default": 3}
    assert TABLES["my_api"].field("rate_limit") == {
        "config_parameter": "my_api.rate_limit",
        "default": 600,
    }
