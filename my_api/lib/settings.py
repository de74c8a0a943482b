"""Typed system parameters: one table per addon names each of its
`ir.config_parameter` keys with how its text is read, its default and its
bounds.

A setting used to be written in three places (the reader's parsing and
default, a data file's record, a Settings field), and each reader parsed
in its own way. The table is now the one place; each addon has one
(`my_api/settings.py`, `my_webhooks/settings.py`,
`my_oauth_provider/settings.py`) and reads it with `setting(env, name)`.

How a stored text becomes a value (`Setting.parse`), in this order:

1. no parameter, or an empty text: the default (as `get_param` has it);
2. the text is read by the setting's kind:
   - `int`: Python's `int()` (blanks around it and a sign are fine);
   - `digits`: only a text of digits (`str.isdigit()`) is a number: any
     other text (a sign, a blank, a dot) counts as unset, so the default;
     `strip` first removes the blanks around it;
   - `float`: Python's `float()`;
   - `text`: the text as stored;
   - a function of the text, for a structured value (it falls back on its
     own);
3. a text the kind cannot read (ValueError): the default (`invalid`
   "default", every setting's): an administrator's typo in Settings >
   Technical > System Parameters must not make every request that reads
   it fail. `invalid="raise"` lets the error reach the reader instead;
4. a number outside [minimum, maximum]: moved to the bound it crossed
   (`out_of_bounds="clamp"`) or replaced by the default ("default").

The default itself is returned as written, never parsed nor bounded.
This module imports nothing from Odoo: `get` only calls the environment
it is given.
"""

from dataclasses import dataclass
from typing import Any

KINDS = ("int", "digits", "float", "text")
INVALID = ("raise", "default")
OUT_OF_BOUNDS = ("clamp", "default")


@dataclass(frozen=True)
class Setting:
    """One system parameter: `name` (the key after the addon's prefix),
    `kind` (see the module's docstring), `default` and bounds."""

    name: str
    kind: Any  # one of KINDS, or a function text -> value
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    out_of_bounds: str = "clamp"
    invalid: str = "default"
    strip: bool = False

    def __post_init__(self):
        if not callable(self.kind) and self.kind not in KINDS:
            raise ValueError(f"setting {self.name}: unknown kind {self.kind!r}")
        if self.invalid not in INVALID:
            raise ValueError(f"setting {self.name}: invalid must be one of {INVALID}")
        if self.out_of_bounds not in OUT_OF_BOUNDS:
            raise ValueError(f"setting {self.name}: out_of_bounds must be one of {OUT_OF_BOUNDS}")

    def parse(self, raw):
        """The value of a stored text (None or False: no parameter)."""
        if not raw:
            return self.default
        try:
            value = self._read(raw)
        except (ValueError, OverflowError):
            if self.invalid == "default":
                return self.default
            raise
        if value is None:
            return self.default
        return self._bounded(value)

    def _read(self, raw):
        """The kind's reading of a non-empty text; None means unset."""
        if callable(self.kind):
            return self.kind(raw)
        if self.kind == "int":
            return int(raw)
        if self.kind == "digits":
            text = raw.strip() if self.strip else raw
            # "²" passes isdigit() and fails int(): ValueError, as `invalid` says
            return int(text) if text.isdigit() else None
        if self.kind == "float":
            return float(raw)
        return raw

    def _bounded(self, value):
        if self.minimum is not None and value < self.minimum:
            return self.minimum if self.out_of_bounds == "clamp" else self.default
        if self.maximum is not None and value > self.maximum:
            return self.maximum if self.out_of_bounds == "clamp" else self.default
        return value


class Settings:
    """The table of one addon: its settings by name, under `prefix.`."""

    def __init__(self, prefix, *settings):
        self.prefix = prefix
        self._settings = {}
        for setting in settings:
            if setting.name in self._settings:
                raise ValueError(f"setting {prefix}.{setting.name} is declared twice")
            self._settings[setting.name] = setting

    def __getitem__(self, name):
        return self._settings[name]

    def __iter__(self):
        return iter(self._settings.values())

    def key(self, name):
        """The `ir.config_parameter` key of a setting (KeyError if unknown)."""
        return f"{self.prefix}.{self[name].name}"

    def parse(self, name, raw):
        return self[name].parse(raw)

    def get(self, env, name):
        """The current value of setting `name` in the database of `env`."""
        key = self.key(name)
        # sudo: system parameters are readable by administrators only; the
        # code reads its own configuration whoever the user is
        return self[name].parse(env["ir.config_parameter"].sudo().get_param(key))

    def field(self, name):
        """Keyword arguments of the Settings field (res.config.settings)
        of a setting: its parameter and the default the form shows while
        the parameter is not set."""
        return {"config_parameter": self.key(name), "default": self[name].default}
