"""Instructions as the web page shows them: sandboxed Jinja2 first, then Markdown-like text without raw HTML."""
from engine.templates import as_html, render


def shown(source, **data):
    """What a task page shows for instructions `source` with case data `data`."""
    return as_html(render(source, data))


def test_blank_lines_part_paragraphs_and_wrapped_lines_flow():
    html = shown("Check the order\nagainst the delivery.\n\nThen sign.\n")
    assert html == "<p>Check the order\nagainst the delivery.</p>\n<p>Then sign.</p>\n"


def test_dash_and_number_lines_make_lists():
    html = shown("Who approves:\n- the head;\n- Finance from {{ limit }} TWD.\n\n1. first\n2. second\n",
                 limit="200,000")
    assert "<ul>\n<li>the head;</li>\n<li>Finance from 200,000 TWD.</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html


def test_html_from_the_package_or_the_case_data_stays_text():
    html = shown("<script>alert(1)</script> {{ title }}\n\n<b>bold</b>", title="<img src=x onerror=alert(1)>")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_only_safe_links_become_links():
    html = shown("[guide](https://example.com/guide) and [run](javascript:alert(1)) ![x](https://example.com/x.png)")
    assert '<a href="https://example.com/guide">guide</a>' in html
    assert 'href="javascript' not in html and "<img" not in html


def test_chinese_lines_join_without_a_space():
    assert shown("請核對採購單\n與驗收紀錄。") == "<p>請核對採購單與驗收紀錄。</p>\n"


def test_a_failing_template_gives_its_error_escaped_even_before_markdown():
    hostile = '<meta http-equiv="refresh" content="0;url=http://example.invalid/">'
    text = render("{{ {'a': 1}[reason].upper() }}", {"reason": hostile})
    assert text.startswith("(instructions could not be shown: ") and "<" not in text
    assert "&lt;meta http-equiv=&#34;refresh&#34;" in text


def test_case_data_reads_as_itself_never_as_a_link():
    html = shown("See [the guide](https://example.com/g). {{ note }}", note="[sign in](http://example.invalid/) \\")
    assert '<a href="https://example.com/g">the guide</a>' in html  # the package's own link stays
    assert 'href="http://example.invalid' not in html and "[sign in](http://example.invalid/) \\" in html
