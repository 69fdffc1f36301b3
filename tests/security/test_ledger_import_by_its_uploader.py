"""Finding 19: a keeper confirmed another keeper's checked upload. The rule: the one who
uploaded a file and read its dry run confirms it; another keeper sees it but cannot import it.
The import itself is an audit event naming the file."""

from sqlmodel import func, select

from liaison.audit.models import AuditLog
from liaison.auth.roles import Role
from liaison.ledger.models import LedgerUpload, UploadStatus
from liaison.projects.models import Project
from tests.factories import login_as, post
from tests.ledger.books import workbook
from tests.ledger.test_web import inline, upload, upload_id  # noqa: F401  (inline: a fixture)


def test_another_keeper_cannot_confirm_an_upload(client, db, inline):  # noqa: F811
    leader = login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook()))
    client.cookies.clear()
    login_as(client, db, Role.ADMIN)
    page = client.get(f"/ledger/uploads/{number}")
    assert page.status_code == 200
    assert "确认导入</button>" not in page.text and leader.display_name in page.text
    refused = post(client, f"/ledger/uploads/{number}/import")
    assert refused.status_code == 409 and "只有上传并检查此文件的人" in refused.text
    db.expire_all()
    assert db.get(LedgerUpload, number).status == UploadStatus.CHECKED  # type: ignore[union-attr]
    assert db.exec(select(func.count()).select_from(Project)).one() == 0


def test_the_uploader_confirms_and_the_import_is_audited(client, db, inline):  # noqa: F811
    leader = login_as(client, db, Role.LEADER)
    number = upload_id(upload(client, workbook(), "本月台账.xlsx"))
    assert "确认导入" in client.get(f"/ledger/uploads/{number}").text
    post(client, f"/ledger/uploads/{number}/import")
    db.expire_all()
    assert db.get(LedgerUpload, number).status == UploadStatus.DONE  # type: ignore[union-attr]
    event = db.exec(select(AuditLog).where(AuditLog.action == "ledger_import")).one()
    assert event.actor_id == leader.id and event.object_id == str(number)
    assert "本月台账.xlsx" in str(event.after)
