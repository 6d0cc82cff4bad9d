"""What every page must be: no script, no inline style, accessible forms and tables."""

from __future__ import annotations

from html.parser import HTMLParser


class Parsed(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def check_fragment(html: str) -> Parsed:
    """No script, no inline style or handlers in any markup (pages, charts, QR codes)."""
    assert "<script" not in html.lower()
    assert "style=" not in html.lower()
    assert "<style" not in html.lower()
    parsed = Parsed(html)
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "style", "iframe", "object", "embed"}, tag
        for name, value in attrs.items():
            assert name != "style" and not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    return parsed


def check_page(html: str) -> Parsed:
    parsed = check_fragment(html)
    assert html.startswith("<!doctype html>")
    assert parsed.all("html")[0].get("lang") == "en"
    assert any(m.get("name") == "viewport" for m in parsed.all("meta"))
    assert {"rel": "stylesheet", "href": "/static/style.css"} in parsed.all("link")
    assert len(parsed.all("h1")) == 1 and len(parsed.all("main")) == 1
    for th in parsed.all("th"):
        assert th.get("scope") in {"col", "row"}, th
    labelled = {label.get("for") for label in parsed.all("label")}
    for tag in ("input", "textarea", "select"):
        for field in parsed.all(tag):
            if field.get("type") != "hidden":
                assert field.get("id") in labelled, field
    # Every form posts back with the CSRF token right after it opens.
    in_form = False
    for tag, attrs in parsed.tags:
        if tag == "form":
            assert attrs.get("method") == "post" and (attrs.get("action") or "").startswith("/"), attrs
            in_form = True
        elif in_form and tag == "input":
            assert attrs.get("type") == "hidden" and attrs.get("name") == "csrf_token", attrs
            in_form = False
    return parsed


def forms(html: str) -> list[str]:
    return [attrs["action"] for attrs in Parsed(html).all("form")]
