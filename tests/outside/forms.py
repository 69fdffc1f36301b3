"""Pages read as a browser reads them: the links a page shows and its forms, with what a
browser would send on submitting each one untouched. Written from the HTML standard's rules for
form submission, not from the app's templates, so it finds what the app did not intend."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Controls a plain submission does not send without a click or a file (HTML §4.10.21.4).
_NOT_SENT = {"submit", "button", "image", "reset", "file"}


@dataclass
class Select:
    name: str
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    multiple: bool = False

    def sent(self) -> list[str]:
        if self.multiple:
            return self.selected
        return self.selected[-1:] or self.options[:1]


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    selects: list[Select] = field(default_factory=list)

    def as_sent(self, **changed: str) -> list[tuple[str, str]]:
        """The name/value pairs a browser sends, `changed` replacing a select's choice."""
        pairs = list(self.fields)
        for select in self.selects:
            if select.name in changed:
                pairs.append((select.name, changed[select.name]))
            else:
                pairs += [(select.name, value) for value in select.sent()]
        return pairs


@dataclass
class Page:
    url: str
    links: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page(url)
        self._form: Form | None = None
        self._select: Select | None = None
        self._option: dict[str, str | None] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.page.links.append(urljoin(self.page.url, a["href"] or ""))
        elif tag == "form":
            action = urljoin(self.page.url, a.get("action") or self.page.url)
            self._form = Form((a.get("method") or "get").lower(), action)
            self.page.forms.append(self._form)
        elif self._form is None or "disabled" in a or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._open_option(a)
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((a["name"] or "", a.get("value") or "on"))
            elif kind not in _NOT_SENT:
                self._form.fields.append((a["name"] or "", a.get("value") or ""))
        elif tag == "select":
            self._select = Select(a["name"] or "", multiple="multiple" in a)
            self._form.selects.append(self._select)
        elif tag == "textarea":
            self._textarea, self._textarea_text = a["name"], ""

    def _open_option(self, a: dict[str, str | None]) -> None:
        self._close_option()  # </option> may be left out
        self._option, self._option_text = a, ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "textarea" and self._form is not None and self._textarea is not None:
            self._form.fields.append((self._textarea, self._textarea_text))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self) -> None:
        if self._option is None or self._select is None:
            return
        value = self._option.get("value")
        value = self._option_text.strip() if value is None else value
        if "disabled" not in self._option:
            self._select.options.append(value)
            if "selected" in self._option:
                self._select.selected.append(value)
        self._option = None


def read(url: str, html: str) -> Page:
    reader = _Reader(url)
    reader.feed(html)
    reader.close()
    return reader.page


def same_site(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "") and parts.netloc in ("testserver", "")
