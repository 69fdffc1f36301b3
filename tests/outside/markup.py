"""What is wrong with a page's HTML as a browser and htmx read it, found from the standards, not
from the app's templates: ids used twice, a `<label for>` naming no control, an htmx attribute
on an element htmx never sends a request from (an `hx-confirm` on the button of a plain form
asks nothing), a form whose action no route answers."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements that have no end tag (HTML §13.1.2).
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
# What a <label for> may name (HTML §4.10.2, labelable elements).
_LABELABLE = {"button", "input", "meter", "output", "progress", "select", "textarea"}
# The attributes that make htmx send a request from an element.
_REQUESTS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
# Attributes htmx reads only on the element that sends a request, or inherits from its
# ancestors: on an element that sends none and holds none that does, they do nothing.
_REQUEST_OPTIONS = {
    "hx-confirm", "hx-target", "hx-swap", "hx-trigger", "hx-vals", "hx-include",
    "hx-indicator", "hx-push-url", "hx-select", "hx-sync", "hx-params", "hx-encoding",
}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None" = None
    children: list["Element"] = field(default_factory=list)
    text: str = ""  # the text directly inside it

    def words(self) -> str:
        """All the text inside it, its descendants' included."""
        return self.text + "".join(child.words() for child in self.children)

    def walk(self):  # type: ignore[no-untyped-def]
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self):  # type: ignore[no-untyped-def]
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def describe(self) -> str:
        shown = " ".join(
            f'{k}="{v}"' for k, v in self.attrs.items() if k in ("id", "name", "action")
        )
        return f"<{self.tag}{' ' + shown if shown else ''}>"


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self._open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self._open)
        self._open.children.append(element)
        if tag not in _VOID:
            self._open = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.children.append(Element(tag, {k: v or "" for k, v in attrs}, self._open))

    def handle_data(self, data: str) -> None:
        self._open.text += data

    def handle_endtag(self, tag: str) -> None:
        # An end tag closes the nearest open element of its name (and any left open inside).
        node: Element | None = self._open
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._open = node.parent


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def _boosted(element: Element) -> bool:
    """A link or form under hx-boost="true": htmx sends its request."""
    if element.tag not in ("a", "form"):
        return False
    return any(a.attrs.get("hx-boost") == "true" for a in [element, *element.ancestors()])


def problems(html: str) -> list[str]:
    """Each defect of the page, in words that name the element."""
    root = parse(html)
    elements = list(root.walk())
    found = []
    seen: dict[str, int] = {}
    for e in elements:
        if "id" in e.attrs:
            seen[e.attrs["id"]] = seen.get(e.attrs["id"], 0) + 1
    found += [f'id="{i}" is used {n} times' for i, n in seen.items() if n > 1]
    by_id = {e.attrs["id"]: e for e in elements if "id" in e.attrs}
    for label in (e for e in elements if e.tag == "label" and "for" in e.attrs):
        target = by_id.get(label.attrs["for"])
        if target is None or target.tag not in _LABELABLE:
            found.append(f'<label for="{label.attrs["for"]}"> names no control')
    for e in elements:
        options = _REQUEST_OPTIONS & set(e.attrs)
        if not options or _REQUESTS & set(e.attrs) or _boosted(e):
            continue
        if not any(_REQUESTS & set(d.attrs) or _boosted(d) for d in e.walk()):
            found.append(
                f"{e.describe()} has {', '.join(sorted(options))}, which htmx never reads there"
            )
    return found


def forms(html: str) -> list[tuple[str, str, Element]]:
    """Each form as (method, action, element); a form with no action posts to its own page."""
    return [
        ((e.attrs.get("method") or "get").lower(), e.attrs.get("action", ""), e)
        for e in parse(html).walk()
        if e.tag == "form"
    ]
