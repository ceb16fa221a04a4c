"""WTForms of the account pages (Flask-WTF adds the CSRF token to each)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordChangeForm(FlaskForm):
    """The current password, then the new one twice."""

    old_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200)],
                                 render_kw={"autocomplete": "new-password"},
                                 description=_l("At least 10 characters."))
    confirm = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"},
                            validators=[DataRequired(),
                                        EqualTo("new_password", message=_l("The two new passwords differ."))])
