"""Languages: English and Traditional Chinese, from the user's choice or the browser.

The UI's own words come from gettext catalogues (webui/translations); a package's names,
forms and instructions carry both languages themselves, keyed "en" and "zh-Hant".
"""
from datetime import UTC, datetime

from flask import g, request
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

from engine.templates import pick_language

# Locale (gettext catalogue) -> the key packages use for that language, and its own name.
LANGUAGES = {"en": ("en", "English"), "zh_Hant": ("zh-Hant", "繁體中文")}
COOKIE = "opsflow_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def _from_browser():
    """The best of our languages for the Accept-Language header; any Chinese but Simplified picks zh_Hant."""
    simplified = False
    for tag, _quality in request.accept_languages:
        tag = tag.lower().replace("_", "-")
        if tag.startswith("en"):
            return "en"
        if tag.startswith(("zh-cn", "zh-sg", "zh-hans")):
            # A Simplified Chinese reader: we have no such catalogue, and a plain "zh" after it means the same.
            simplified = True
        elif tag.startswith("zh") and not (tag == "zh" and simplified):
            return "zh_Hant"
    return "en"


def select_locale():
    """The cookie set by the language switch wins, then the browser's preference."""
    if "locale" not in g:
        chosen = request.cookies.get(COOKIE)
        g.locale = chosen if chosen in LANGUAGES else _from_browser()
    return g.locale


def package_language():
    """'en' or 'zh-Hant': the key of the current language in a package's texts."""
    return LANGUAGES.get(str(get_locale()), LANGUAGES["en"])[0]


def pick(texts):
    """A package's text in the current language (falling back to English)."""
    return pick_language(texts, package_language())


def task_title(row):
    """A task's title in the current language."""
    return row.get("title_zh") if package_language() == "zh-Hant" and row.get("title_zh") else row.get("title_en")


# Date and minute, no seconds: what a person reads in a list or a history.
MOMENT_PATTERNS = {"en": "d MMM y, HH:mm", "zh-Hant": "y年M月d日 HH:mm"}


def when(value):
    """A moment in the UI's time zone and language, to the minute ('' for none)."""
    return format_datetime(value, MOMENT_PATTERNS[package_language()]) if value else ""


def day(value):
    """A date alone."""
    return format_date(value, "medium") if value else ""


def relative(value, now=None):
    """'in 3 hours' / '2 days ago' for a moment."""
    if not value:
        return ""
    now = now or datetime.now(UTC)
    return format_timedelta(value - now, add_direction=True, granularity="minute", threshold=0.9)


def number(value):
    """A number with the language's grouping."""
    return format_decimal(value) if value is not None else ""


STATUS = {"running": _l("Running"), "completed": _l("Completed"), "cancelled": _l("Cancelled")}
PRIORITY = {1: _l("Urgent"), 2: _l("High"), 3: _l("Normal"), 4: _l("Low")}


def init_app(app):
    """Install Flask-Babel, the filters templates use and the language list."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(pick=pick, when=when, day=day, relative=relative, number=number,
                                 task_title=task_title)

    @app.context_processor
    def languages():
        """The language switch's choices and the current page language for <html lang>."""
        current = str(get_locale())
        return {"languages": [(code, name) for code, (_key, name) in LANGUAGES.items()],
                "current_locale": current, "html_lang": LANGUAGES.get(current, LANGUAGES["en"])[0],
                "status_names": STATUS, "priority_names": PRIORITY}
