"""The crawler's eyes checked on pages built to fail: each defect it is to find, it finds."""

from tests.outside.markup import problems

PLAIN_FORM_CONFIRM = (
    """<form method="post" action="/x"><button hx-confirm="确定？">删除</button></form>"""
)
BOOSTED_FORM_CONFIRM = """<form method="post" action="/x" hx-boost="true" hx-confirm="确定？">
<button>删除</button></form>"""


def test_an_id_used_twice_is_found():
    found = problems(
        '<p><label for="f-body">答复</label><textarea id="f-body"></textarea></p>'
        '<p><label for="f-body">备注</label><textarea id="f-body"></textarea></p>'
    )
    assert found == ['id="f-body" is used 2 times']


def test_a_label_naming_no_control_is_found():
    assert problems('<label for="f-x">名称</label><div id="f-x"></div>') == [
        '<label for="f-x"> names no control'
    ]
    assert problems('<label for="f-y">名称</label>') == ['<label for="f-y"> names no control']


def test_hx_confirm_on_a_plain_forms_button_is_found_and_on_a_boosted_form_is_not():
    assert len(problems(PLAIN_FORM_CONFIRM)) == 1
    assert problems(BOOSTED_FORM_CONFIRM) == []
    assert problems('<button hx-post="/x" hx-confirm="确定？">删除</button>') == []
    assert problems('<div hx-target="#r"><a hx-get="/y">下一页</a></div>') == []  # inherited
