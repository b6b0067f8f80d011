from django.test import Client

from tests.conftest import World


def test_signed_in_user_sees_their_agencies_and_roles(client: Client, world: World) -> None:
    client.force_login(world.bob)
    response = client.get("/me/")
    assert response.status_code == 200
    assert "地域包括支援センター" in response.content.decode()
    assert "職員" in response.content.decode()


def test_anonymous_user_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
