"""The QR posters: what they show, what the code really decodes to, and who may print them."""

import io
import re
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import select

from liaison.auth.roles import Role
from liaison.config import get_settings
from liaison.desk.models import ServiceRequest
from liaison.enterprises.models import Enterprise
from liaison.projects import service as project_service
from tests.desk.test_public import submit
from tests.factories import login_as, make_officer, make_project, make_station

PUBLIC_URL = "https://liaison.example.gov.cn"


def decoded(png: bytes) -> list[str]:
    """The text of every QR code a phone's scanner would find in the image."""
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def filename(response) -> str:  # type: ignore[no-untyped-def]
    """The download's name, from its RFC 5987 Content-Disposition."""
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename*=UTF-8''"), disposition
    return unquote(disposition.split("''", 1)[1])


@pytest.fixture
def public_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LIAISON_PUBLIC_URL", PUBLIC_URL + "/")  # a trailing slash is dropped
    get_settings.cache_clear()
    return PUBLIC_URL


@pytest.fixture
def site(db):  # type: ignore[no-untyped-def]
    station = make_station(db, name="星河派出所")
    officer = make_officer(db, station, phone="13912345678")
    project = make_project(db, station, officer=officer, code="XM2023-001", name="星河产业园")
    return {"station": station, "officer": officer, "project": project}


def test_the_project_poster_shows_the_project_and_its_officer_but_not_the_phone(
    client, db, site, public_url
):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, site["station"]))
    page = client.get(f"/projects/{site['project'].id}/poster")
    assert page.status_code == 200
    text = page.text
    for shown in ("接诉即办", "扫码提交诉求", "星河产业园", "XM2023-001", "测试企业", "/track"):
        assert shown in text, shown
    officer = re.search(r'data-testid="poster-officer">(.*?)</p>', text, re.S)
    assert officer is not None
    assert site["officer"].name in officer.group(1) and site["officer"].badge_no in officer.group(1)
    assert "星河派出所" in officer.group(1)
    assert "13912345678" not in text and "5678" not in text
    assert f">{PUBLIC_URL}/r/XM2023-001<" in text


def test_the_inline_code_keeps_to_the_content_security_policy(client, db, site):
    login_as(client, db, Role.CHIEF, officer=make_officer(db, site["station"]))
    page = client.get(f"/projects/{site['project'].id}/poster")
    svg = re.search(r"<svg\b.*?</svg>", page.text, re.S)
    assert svg is not None
    assert 'class="qr-code"' in svg.group(0) and 'viewBox="0 0 ' in svg.group(0)
    assert "width=" not in svg.group(0)  # print.css sizes it
    assert "style=" not in page.text and "<script" not in page.text
    assert "<?xml" not in page.text


def test_the_png_decodes_to_the_projects_form_at_the_public_address(client, db, site, public_url):
    login_as(client, db, Role.LEADER)
    response = client.get(f"/projects/{site['project'].id}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert filename(response) == "XM2023-001-二维码.png"
    assert decoded(response.content) == [f"{PUBLIC_URL}/r/XM2023-001"]


def test_without_a_public_address_the_code_points_at_this_server(client, db, site):
    login_as(client, db, Role.ADMIN)
    png = client.get(f"/projects/{site['project'].id}/qr.png").content
    assert decoded(png) == ["http://testserver/r/XM2023-001"]
    assert decoded(client.get("/desk/qr.png").content) == ["http://testserver/r"]


def test_the_general_poster_and_code_point_at_the_bureaus_form(client, db, public_url):
    login_as(client, db, Role.OFFICER)
    page = client.get("/desk/poster")
    assert page.status_code == 200
    assert "分局接诉即办" in page.text and f">{PUBLIC_URL}/r<" in page.text
    assert 'data-testid="poster-officer"' not in page.text
    png = client.get("/desk/qr.png")
    assert decoded(png.content) == [f"{PUBLIC_URL}/r"]
    assert filename(png) == "分局接诉即办-二维码.png"


def test_the_svg_download_is_a_standalone_sandboxed_image(client, db, site):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, site["station"]))
    for url in (f"/projects/{site['project'].id}/qr.svg", "/desk/qr.svg"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert filename(response).endswith("-二维码.svg")
        assert response.text.startswith("<?xml")
        assert 'xmlns="http://www.w3.org/2000/svg"' in response.text
        assert re.search(r'width="120(\.0)?mm"', response.text)  # the poster's printed size
        assert "style=" not in response.text


def test_the_poster_follows_the_current_officer(client, db, site):
    successor = make_officer(db, site["station"])
    project_service.assign_officer(
        db, site["project"], successor, by_user_id=None, reason="岗位调整"
    )
    db.commit()
    login_as(client, db, Role.CHIEF, officer=make_officer(db, site["station"]))
    page = client.get(f"/projects/{site['project'].id}/poster").text
    assert successor.badge_no in page and site["officer"].badge_no not in page


def test_an_officer_cannot_print_another_stations_project(client, db, site):
    login_as(client, db, Role.OFFICER, officer=make_officer(db, make_station(db)))
    project_id = site["project"].id
    for suffix in ("poster", "qr.svg", "qr.png"):
        assert client.get(f"/projects/{project_id}/{suffix}").status_code == 404, suffix


def test_an_archived_projects_form_is_closed_so_it_has_no_poster(client, db, site):
    project_service.archive_project(db, site["project"], by_user_id=None)
    db.commit()
    login_as(client, db, Role.ADMIN)
    assert client.get(f"/projects/{site['project'].id}/poster").status_code == 404
    assert client.get(f"/r/{site['project'].code}").status_code == 404


def test_an_enterprise_login_may_not_print_posters(client, db, site):
    login_as(client, db, Role.ENTERPRISE)
    for url in (f"/projects/{site['project'].id}/poster", "/desk/poster", "/desk/qr.png"):
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_login(client, site):
    for url in (f"/projects/{site['project'].id}/qr.png", "/desk/poster"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


def test_the_project_page_links_to_the_poster_for_staff_only(client, db, site):
    poster = f'href="/projects/{site["project"].id}/poster"'
    login_as(client, db, Role.OFFICER, officer=site["officer"])
    assert poster in client.get(f"/projects/{site['project'].id}").text
    client.cookies.clear()
    owner = db.get(Enterprise, site["project"].enterprise_id)
    login_as(client, db, Role.ENTERPRISE, enterprise=owner)
    page = client.get(f"/projects/{site['project'].id}")
    assert page.status_code == 200 and poster not in page.text


@pytest.mark.parametrize("code", ["XM.2023_01-a", "xm-7", "2023.01"])
def test_every_code_the_app_takes_goes_from_the_poster_to_the_form_to_its_project(client, db, code):
    """A phone reads the poster's code, opens the form it names, and what it sends lands on
    that project, with its officer: for every shape of code the app accepts (codes a URL
    would have to escape, / # ? %, are refused where codes come in)."""
    station = make_station(db)
    officer = make_officer(db, station)
    project = make_project(db, station, officer=officer, code=code)
    login_as(client, db, Role.ADMIN)
    [url] = decoded(client.get(f"/projects/{project.id}/qr.png").content)
    client.cookies.clear()
    path = url.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    done = submit(client, path)
    assert done.status_code == 200
    request = db.exec(select(ServiceRequest)).one()
    assert (request.project_id, request.officer_id) == (project.id, officer.id)
