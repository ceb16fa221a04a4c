"""WTForms of the account pages (Flask-WTF adds the CSRF token to each)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

# Our own words: WTForms' catalogue for "zh_Hant" falls back to its Simplified Chinese one.
REQUIRED = DataRequired(message=_l("Fill this in."))
TOO_LONG = _l("This is too long.")
PASSWORD_LENGTH = Length(min=10, max=200, message=_l("Use 10 to 200 characters."))


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[REQUIRED, Length(max=64, message=TOO_LONG)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[REQUIRED, Length(max=200, message=TOO_LONG)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    """The current password, then the new one twice."""

    old_password = PasswordField(_l("Current password"), validators=[REQUIRED],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"},
                                 validators=[REQUIRED, PASSWORD_LENGTH],
                                 description=_l("At least 10 characters."))
    confirm = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"},
                            validators=[REQUIRED, EqualTo("new_password", message=_l("The two new passwords differ."))])


class TokenForm(FlaskForm):
    """A new personal API token: its name and, optionally, in how many days it stops working."""

    name = StringField(_l("Name"), validators=[REQUIRED, Length(max=100, message=TOO_LONG)],
                       description=_l("What the token is for, e.g. the script or machine that uses it."),
                       render_kw={"autocomplete": "off", "maxlength": 100})
    expires_in_days = IntegerField(
        _l("Expires after (days)"), validators=[Optional(), NumberRange(1, 3650, message=_l("Enter 1 to 3650 days."))],
        description=_l("Leave empty for a token that works until you revoke it."),
        render_kw={"inputmode": "numeric", "min": 1, "max": 3650})
