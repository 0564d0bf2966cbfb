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
