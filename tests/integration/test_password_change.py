"""Changing one's password on the account page (SECURITY A2, A7, C1): the old password is
checked like a login's, under the username's lock and count, so an open session is no way to
guess it; a right change keeps the session."""

from backoffice.enums import AuditAction
from backoffice.models import AuditEvent
from tests.conftest import PASSWORD

ACCOUNT = "/admin/account/"


def change(client, old, new="Another-Strong-Pass-2027"):
    """The whole account form, as the page posts it."""
    return client.post(
        ACCOUNT,
        {
            "name_email-first_name": "东华门",
            "name_email-last_name": "服务站",
            "name_email-email": "street@example.invalid",
            "theme-theme": "system",
            "theme-contrast": "system",
            "theme-density": "default",
            "password-old_password": old,
            "password-new_password1": new,
            "password-new_password2": new,
        },
    )


def test_the_account_page_offers_the_password_change_in_chinese(login_as):
    page = login_as("street").get(ACCOUNT).content.decode()
    assert 'name="password-old_password"' in page and "原密码" in page


def test_a_right_old_password_changes_it_and_keeps_the_session(login_as, demo_users):
    client = login_as("street")
    assert change(client, PASSWORD).status_code == 302
    user = demo_users["street"]
    user.refresh_from_db()
    assert user.check_password("Another-Strong-Pass-2027")
    assert client.get("/admin/").status_code == 200


def test_wrong_old_passwords_count_toward_the_login_lock_and_are_audited(
    login_as, client, demo_users
):
    session = login_as("street")
    for attempt in range(1, 5):
        response = change(session, "wrong-password-123")
        assert "用户名、密码或动态口令不正确" in response.content.decode()
        failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="street")
        assert failed.count() == attempt  # one wrong password counts once
    change(session, "wrong-password-123")
    assert "该账号因连续登录失败已被锁定" in change(session, PASSWORD).content.decode()
    user = demo_users["street"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username="street")
    assert failed.count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED, actor_username="street").exists()
