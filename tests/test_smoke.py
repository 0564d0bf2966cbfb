def test_it_redirects_anonymous_users_to_sign_in(client):
    response = client.get("/contracts")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_it_signs_in_with_the_right_password(client, auth, factory):
    user = factory.make_user("viewer")
    assert auth.login(user).status_code == 302
    assert client.get("/contracts").status_code == 200


def test_it_refuses_a_wrong_password(client, auth, factory):
    user = factory.make_user("viewer")
    response = auth.login(user, password="wrong-password")
    assert response.status_code == 200
    assert b"Email or password is not right" in response.data


def test_it_answers_404_for_ids_no_column_can_hold(client_as):
    viewer = client_as("viewer")
    for url in ("/contracts/99999999999999999999", "/metrics/2147483648", "/priorities/9223372036854775808"):
        assert viewer.get(url).status_code == 404, url


def test_it_refuses_nul_characters_in_the_query_string(client_as):
    response = client_as("viewer").get("/contracts?q=abc%00def")
    assert response.status_code == 400
    assert b"NUL character" in response.data


def test_it_drops_nul_characters_from_form_text(client_as, factory, db):
    from contracts_app.priorities.models import Priority

    response = client_as("cdo").post("/priorities/new", data={"name": "Vision\x00 Zero", "outcome": "No deaths\x00", "owner_id": "0"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Priority.name)) == "Vision Zero"
