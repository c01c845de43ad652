"""Instructions render as a safe Markdown subset: raw HTML and script links stay text."""

from cloudlab.assignments.markdown import render


def test_markdown_subset_renders_and_escapes_html() -> None:
    html = render("# Goal\n\nLaunch **three** `m1.small`:\n\n- web-1\n- web-2\n\n[Nova](https://docs.openstack.org)")
    assert "<h3>Goal</h3>" in html and "<strong>three</strong>" in html and "<code>m1.small</code>" in html
    assert "<ul>\n<li>web-1</li>\n<li>web-2</li>\n</ul>" in html
    assert '<a href="https://docs.openstack.org" rel="noopener noreferrer">Nova</a>' in html


def test_raw_html_and_javascript_links_stay_text() -> None:
    html = render('<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y">')
    assert "<script>" not in html and "<img" not in html and "href" not in html
    assert "&lt;script&gt;" in html
