"""The field model templates/forms/fields.html renders: fields, rows, choices, error lines, and a parsed form."""
from dataclasses import dataclass, field
from typing import ClassVar

from flask_babel import lazy_gettext as _

INLINE_LABEL_LENGTH = 12
INLINE_CHOICES = 5
# Numbers are text inputs with a numeric keyboard: a browser's type=number silently drops what it cannot
# read ("2x", "1,200"), so the user would see "required" instead of their own typing and its error.
_INPUT_TYPES = {"email": "email", "date": "date",
                "datetime": "datetime-local", "file": "file"}


class _UiText:
    """The few words of form chrome; each attribute is translated when read, in the request's locale."""

    _words: ClassVar = {
        "add_row": _("Add row"),
        "remove_row": _("Remove row"),
        "choose": _("Choose…"),
        "upload": _("Upload a file"),
        "replace": _("Choosing a new file replaces the current one."),
        "current_file": _("Current file:"),
        "current_files": _("Current files (untick one to remove it):"),
        "yes": _("Yes"),
        "no": _("No"),
        "problem": _("There is a problem"),
        "not_integer": _("enter a whole number"),
        "not_number": _("enter a number"),
        "not_datetime": _("enter a date and time"),
        "no_uploads": _("files cannot be uploaded here"),
    }

    def __getattr__(self, name):
        """The translated word as a plain str (so templates escape it like any other text)."""
        try:
            return str(self._words[name])
        except KeyError:
            raise AttributeError(name) from None


UI = _UiText()


@dataclass
class Choice:
    """One option of a select, radio group or checkbox list; also one already-uploaded file."""

    value: str
    label: str
    selected: bool = False
    id: str = ""


@dataclass
class Field:
    """One control (or a repeating group, or a nested object) as templates/forms/fields.html renders it.

    widget is the field's kind, one of engine.formfields.KINDS: text, textarea, email, integer, number,
    money, date, datetime, boolean, select, radio, checkboxes, user, file, const, group, object.
    """

    path: str
    widget: str
    label: str
    help: str = ""
    error: str = ""
    required: bool = False
    in_group: bool = False
    long_label: str = ""
    value: str = ""
    checked: bool = False
    choices: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    affix: str = ""
    multiple: bool = False
    files: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    template: "Row | None" = None
    min_rows: int = 0
    max_rows: int | None = None
    children: list = field(default_factory=list)
    ui: ClassVar = UI

    @property
    def name(self):
        """The HTML name: the path."""
        return self.path

    @property
    def id(self):
        """The HTML id of the control (of the first option for radios and checkboxes)."""
        return html_id(self.path)

    @property
    def help_id(self):
        """Id of the help text, or "" without one."""
        return f"{self.id}-help" if self.help else ""

    @property
    def error_id(self):
        """Id of the error message, or "" without one."""
        return f"{self.id}-error" if self.error else ""

    @property
    def affix_id(self):
        """Id of the unit shown beside the control (money's currency), or ""."""
        return f"{self.id}-affix" if self.affix else ""

    @property
    def describedby(self):
        """The aria-describedby value: error, help and unit ids present."""
        return " ".join(i for i in (self.error_id, self.help_id, self.affix_id) if i)

    @property
    def html_required(self):
        """Whether the browser should insist: required, outside repeating groups, and not a checkbox list."""
        if not self.required or self.in_group or self.widget in ("checkboxes", "group", "object", "const"):
            return False
        return not (self.widget == "file" and self.files)

    @property
    def input_type(self):
        """The type attribute of an <input> for this widget."""
        return _INPUT_TYPES.get(self.widget, "text")

    @property
    def control_attrs(self):
        """Attributes of the single control (for Jinja's xmlattr; None values are left out)."""
        return {
            "id": self.id,
            "name": None if self.widget == "const" else self.name,
            "required": "required" if self.html_required else None,
            "aria-required": "true" if self.required else None,
            "aria-invalid": "true" if self.error else None,
            "aria-describedby": self.describedby or None,
            **self.attrs,
        }

    @property
    def can_add(self):
        """Whether a repeating group may take one more row."""
        return self.max_rows is None or len(self.rows) < self.max_rows

    @property
    def can_remove(self):
        """Whether a repeating group may lose a row."""
        return len(self.rows) > self.min_rows

    @property
    def inline_choices(self):
        """Whether radio buttons fit on one line: a few short labels (a 1-5 rating, yes/no)."""
        short = all(len(choice.label) <= INLINE_LABEL_LENGTH for choice in self.choices)
        return self.widget == "radio" and len(self.choices) <= INLINE_CHOICES and short

    @property
    def contains_group(self):
        """Whether this field is, or holds, a repeating group (whose buttons submit the form without JS)."""
        return self.widget == "group" or any(child.contains_group for child in self.children)


@dataclass
class Row:
    """One item of a repeating group: the item's fields, or a single field for an array of scalars."""

    path: str
    index: str
    legend: str
    fields: list
    scalar: bool = False
    error: str = ""
    ui: ClassVar = UI

    @property
    def id(self):
        """The HTML id of the row's fieldset (a scalar row's control takes the path's own id)."""
        return html_id(self.path) + "--row"

    @property
    def error_id(self):
        """Id of the row's error message, or ""."""
        return f"{self.id}-error" if self.error else ""

    @property
    def number(self):
        """1-based position shown to people ("" in the template row, where the script fills it)."""
        return str(int(self.index) + 1) if self.index.isdigit() else ""

    @property
    def long_label(self):
        """The row's name in the error summary ("Line items 2")."""
        return f"{self.legend} {self.number}"


@dataclass
class ErrorItem:
    """One line of the error summary: a link to the bad control, or plain text for a form-level error."""

    href: str
    text: str
    ui: ClassVar = UI


class FieldList(list):
    """What build_fields returns: the fields, plus `errors_list` (ErrorItem) for the error summary."""

    errors_list: list
    ui: ClassVar = UI


@dataclass
class Submission:
    """A parsed form: typed `data` for the validator, `raw` (what was typed) to re-render, coercion `errors`.

    Rows of data and raw line up (blank rows are dropped from both), so the validator's paths fit raw;
    only when an Add/Remove row button was pressed does raw keep blank rows, for apply_row_action.
    """

    data: dict
    raw: dict
    errors: dict


def html_id(path):
    """The HTML id of the control for `path`: "items/0/quantity" -> "f-items-0-quantity"."""
    return "f-" + path.replace("/", "-")
