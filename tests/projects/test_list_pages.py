"""The project list's pages over HTTP: following "下一页" walks the whole filtered list once,
in order, ties in the sort key included; the last visit it shows is the latest one logged."""

import html
import re
from datetime import timedelta

from sqlmodel import select

from liaison.auth.roles import Role
from liaison.enterprises.models import Enterprise
from liaison.projects import queries, service
from liaison.projects.models import Level, Project
from liaison.scope import Scope
from tests.factories import login_as, make_officer, make_project, make_station, post

ROW_CODE = re.compile(r"<tr>\s*<td>([^<]+)</td>")
NEXT = re.compile(r'<a href="(\?[^"]*)">下一页</a>')


def walk(client, url):
    """Every project code the list shows, page after page, and the pages it took."""
    codes, pages = [], 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages += 1
        codes += ROW_CODE.findall(page.text)
        following = NEXT.search(page.text)
        url = "/projects" + html.unescape(following.group(1)) if following else None
    return codes, pages


def province_slice(db, station, other_station):
    """120 projects in one station, names, levels and investments repeating (ties in every
    sort key, some investments missing), and 10 in another station."""
    levels = list(Level)
    for n in range(120):
        project = make_project(db, station, code=f"P{(n * 37) % 120:03d}", name=f"园区{n % 7}")
        project.level = levels[n % len(levels)].value
        project.investment_fen = None if n % 5 == 0 else (n % 4) * 1_000_000
        db.add(project)
    for n in range(10):
        make_project(db, other_station, code=f"Q{n:03d}", name=f"园区{n % 7}")
    db.commit()


def whole_list(db, **filters):
    """The codes of the filtered list in one query, no page: the order the pages must keep."""
    query = queries.project_list_query(
        Scope(everything=True),
        queries.ProjectFilter(**filters),
        today=service.today(),
        interval_days=30,
    )
    return [row[0].code for row in db.exec(query).all()]


def test_next_page_links_walk_every_sort_once_in_order_ties_included(client, db):
    station, other = make_station(db), make_station(db)
    province_slice(db, station, other)
    login_as(client, db, Role.LEADER)
    projects = db.exec(select(Project)).all()

    by_code, pages = walk(client, "/projects")
    assert pages == 3 and by_code == sorted(p.code for p in projects)
    by_investment, _ = walk(client, "/projects?sort=-investment")
    assert by_investment == [
        p.code
        for p in sorted(projects, key=lambda p: (-(p.investment_fen or 0), p.code))
        if p.investment_fen is not None
    ] + sorted(p.code for p in projects if p.investment_fen is None)
    for sort in ("name", "level"):
        codes, pages = walk(client, f"/projects?sort={sort}")
        assert pages == 3 and len(set(codes)) == 130
        assert codes == whole_list(db, sort=sort)


def test_next_page_keeps_the_filter_and_the_sort(client, db):
    station, other = make_station(db), make_station(db)
    province_slice(db, station, other)
    login_as(client, db, Role.LEADER)
    codes, pages = walk(client, f"/projects?station={station.id}&sort=name")
    assert pages == 3 and len(set(codes)) == 120
    assert all(code.startswith("P") for code in codes)
    assert codes == whole_list(db, station_id=station.id, sort="name")


def test_the_count_is_the_whole_filtered_list_on_every_page(client, db):
    station, other = make_station(db), make_station(db)
    province_slice(db, station, other)
    login_as(client, db, Role.LEADER)
    first = client.get(f"/projects?station={station.id}")
    assert 'id="count">120<' in first.text and "共 120 条" in first.text
    following = "/projects" + html.unescape(NEXT.search(first.text).group(1))
    assert "共 120 条" in client.get(following).text
    # Each filter counts what it lists: by the enterprise's credit code, by coverage, by visits.
    one = db.exec(select(Project).where(Project.code == "P007")).one()
    uscc = db.get(Enterprise, one.enterprise_id).uscc
    assert 'id="count">1<' in client.get(f"/projects?q={uscc}").text
    assert 'id="count">130<' in client.get("/projects?covered=no&overdue=true").text
    assert 'id="count">0<' in client.get("/projects?covered=yes").text


def test_a_page_cannot_start_after_a_project_the_user_may_not_see(client, db):
    station, other = make_station(db), make_station(db)
    mine = make_project(db, station, code="A001")
    theirs = make_project(db, other, code="A000")
    officer = make_officer(db, station)
    login_as(client, db, Role.OFFICER, officer=officer)
    assert ROW_CODE.findall(client.get("/projects").text) == [mine.code]
    assert ROW_CODE.findall(client.get(f"/projects?after={theirs.code}").text) == []


def test_the_list_shows_the_latest_visit_logged_whatever_the_order_of_logging(client, db):
    station = make_station(db)
    me = make_officer(db, station)
    project = make_project(db, station, officer=me, code="V001")
    login_as(client, db, Role.OFFICER, officer=me)
    today = service.today()
    for day in (today - timedelta(days=3), today - timedelta(days=40)):
        response = post(
            client,
            f"/projects/{project.id}/visits",
            {"visit_date": day.isoformat(), "kind": "走访", "summary": "回访"},
            follow_redirects=False,
        )
        assert response.status_code == 303
    listing = client.get("/projects").text
    assert f"<td>{today - timedelta(days=3)}</td>" in listing
    assert str(today - timedelta(days=40)) not in listing


def test_the_officer_filter_offers_the_chosen_units_officers_only(client, db):
    station, other = make_station(db), make_station(db)
    mine, theirs = make_officer(db, station), make_officer(db, other)
    login_as(client, db, Role.LEADER)
    province = client.get("/projects").text
    assert "先选单位再选民警" in province and mine.name not in province
    one_unit = client.get(f"/projects?station={station.id}").text
    assert mine.name in one_unit and theirs.name not in one_unit
    # Changing the unit through htmx swaps the officer filter in beside the results.
    fragment = client.get(f"/projects?station={other.id}", headers={"HX-Request": "true"}).text
    assert 'id="officer-filter" aria-label="项目警官" hx-swap-oob="true"' in fragment
    assert theirs.name in fragment and mine.name not in fragment
    # A link from the workloads page names an officer only: their unit's officers, them chosen.
    linked = client.get(f"/projects?officer={theirs.id}").text
    assert f'<option value="{theirs.id}" selected>{theirs.name}</option>' in linked
