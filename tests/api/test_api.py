"""REST API: tokens, scope, masked output, Chinese 400s, 404 for foreign ids, 409 for stale writes."""

import re

import pytest

from factories import member_data
from dangjian.core.models import AuditRecord
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

FULL_ID = re.compile(r"\d{17}[\dX]")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def token_for(client, username, password):
    response = client.post("/api/v1/auth/token/", {"username": username, "password": password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def api(client, world):
    token = token_for(client, "secretary", world.password)

    class Api:
        def __init__(self):
            self.headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

        def get(self, url):
            return client.get(url, **self.headers)

        def post(self, url, data=None, **extra):
            return client.post(url, data or {}, content_type="application/json", **self.headers, **extra)

        def patch(self, url, data):
            return client.patch(url, data, content_type="application/json", **self.headers)

        def delete(self, url):
            return client.delete(url, **self.headers)

    return Api()


def as_json(data):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def test_token_grants_access_and_revocation_ends_it(api):
    assert api.get("/api/v1/members/").status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/members/").status_code == 401


def test_only_a_digest_of_the_token_is_stored(api):
    from dangjian.accounts.models import ApiToken

    token = api.headers["HTTP_AUTHORIZATION"].split()[1]
    assert not ApiToken.objects.filter(digest=token).exists() and ApiToken.objects.count() == 1


def test_failed_token_requests_look_the_same_for_unknown_users_and_wrong_passwords(client, world):
    a = client.post("/api/v1/auth/token/", {"username": "ghost", "password": "x"}, content_type="application/json")
    b = client.post("/api/v1/auth/token/", {"username": "secretary", "password": "x"}, content_type="application/json")
    assert a.status_code == b.status_code == 400 and a.json() == b.json()
    assert "用户名或密码错误" in a.json()["non_field_errors"][0]


def test_lockout_applies_to_the_token_endpoint(client, world):
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "secretary", "password": "x"}, content_type="application/json")
    response = client.post("/api/v1/auth/token/", {"username": "secretary", "password": world.password},
                           content_type="application/json")
    assert response.status_code == 400


def test_lists_and_details_are_masked(api, world):
    body = api.get("/api/v1/members/").content.decode() + api.get(f"/api/v1/members/{world.members['BR1'][0].pk}/").content.decode()
    assert not FULL_ID.search(body) and not FULL_PHONE.search(body)
    assert "id_number_index" not in body


def test_reveal_returns_full_values_and_is_audited(api, world):
    member = world.members["BR1"][1]
    response = api.post(f"/api/v1/members/{member.pk}/reveal/", {"reason": "核对信息"})
    assert response.status_code == 200 and response.json()["id_number"] == member.id_number
    assert AuditRecord.objects.filter(action="member.reveal", object_id=str(member.pk)).count() == 1


@pytest.mark.parametrize("method, suffix", [("get", ""), ("patch", ""), ("post", "status/"), ("post", "reveal/")])
def test_foreign_member_ids_answer_404(api, world, method, suffix):
    for branch in ("BR2", "BR3"):
        member = world.members[branch][0]
        url = f"/api/v1/members/{member.pk}/{suffix}"
        response = api.get(url) if method == "get" else getattr(api, method)(url, {"name": "x"})
        assert response.status_code == 404


def test_a_member_cannot_be_moved_into_a_foreign_organisation(api, world):
    member = world.members["BR1"][1]
    response = api.patch(f"/api/v1/members/{member.pk}/", {"org": world.br3.pk})
    assert response.status_code == 400 and "不在您的管理范围内" in response.json()["org"][0]
    assert Member.objects.get(pk=member.pk).org_id == world.br1.pk


def test_creating_a_member_in_a_foreign_organisation_is_refused(api, world):
    count = Member.objects.count()
    response = api.post("/api/v1/members/", {**as_json(member_data()), "org": world.br2.pk})
    assert response.status_code == 400 and Member.objects.count() == count


def test_bad_id_number_is_a_400_with_a_chinese_message_and_nothing_is_saved(api, world):
    count = Member.objects.count()
    data = as_json(member_data())
    data["id_number"] = data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1")
    response = api.post("/api/v1/members/", {**data, "org": world.br1.pk})
    assert response.status_code == 400 and "校验位" in response.json()["id_number"][0]
    assert Member.objects.count() == count


def test_good_member_is_created_and_returned_masked(api, world):
    data = as_json(member_data())
    response = api.post("/api/v1/members/", {**data, "org": world.br1.pk})
    assert response.status_code == 201, response.content
    assert response.json()["id_number"] != data["id_number"] and response.json()["id_number"].endswith(data["id_number"][-4:])


def test_birth_date_and_gender_may_be_left_to_the_id_number(api, world):
    data = as_json(member_data())
    data.pop("birth_date"), data.pop("gender")
    response = api.post("/api/v1/members/", {**data, "org": world.br1.pk})
    assert response.status_code == 201, response.content
    assert response.json()["birth_date"] == f"{data['id_number'][6:10]}-{data['id_number'][10:12]}-{data['id_number'][12:14]}"


def test_english_browsers_still_get_chinese_errors(api, world):
    data = as_json(member_data(name=""))
    response = api.post("/api/v1/members/", {**data, "org": world.br1.pk}, HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 400 and "This field" not in response.content.decode()
    assert "不能为空" in response.json()["name"][0] or "必填" in response.json()["name"][0]


def test_duplicate_id_number_is_refused(api, world):
    data = as_json(member_data(id_number=world.members["BR3"][0].id_number))
    response = api.post("/api/v1/members/", {**data, "org": world.br1.pk})
    assert response.status_code == 400 and "已登记" in response.json()["id_number"][0]


def test_stale_version_answers_409(api, world):
    member = world.members["BR1"][1]
    assert api.patch(f"/api/v1/members/{member.pk}/", {"native_place": "甲", "version": 1}).status_code == 200
    response = api.patch(f"/api/v1/members/{member.pk}/", {"native_place": "乙", "version": 1})
    assert response.status_code == 409 and "已被他人修改" in response.json()["detail"]


def test_status_change_keeps_the_member(api, world):
    member = world.members["BR1"][1]
    response = api.post(f"/api/v1/members/{member.pk}/status/",
                        {"status": "transferred_out", "status_changed_on": "2025-01-02", "status_reason": "调往外省"})
    assert response.status_code == 200 and response.json()["status"] == "transferred_out"
    assert Member.objects.filter(pk=member.pk).exists()


def test_member_search_by_initials_and_id(api, world):
    target = world.members["BR1"][2]
    rows = api.get(f"/api/v1/members/?q={target.id_number}").json()["results"]
    assert [r["id"] for r in rows] == [target.pk]
    rows = api.get(f"/api/v1/members/?q={target.name_initials}").json()["results"]
    assert target.pk in [r["id"] for r in rows]


def test_moving_an_organisation_under_its_descendant_is_a_400(client, world):
    token = token_for(client, "organizer", world.password)
    h = {"HTTP_AUTHORIZATION": f"Token {token}"}
    response = client.post(f"/api/v1/organizations/{world.sta.pk}/move/", {"parent": world.br1.pk},
                           content_type="application/json", **h)
    assert response.status_code == 400 and "下级组织" in response.json()["parent"][0]
    response = client.post(f"/api/v1/organizations/{world.br2.pk}/move/", {"parent": world.stb.pk},
                           content_type="application/json", **h)
    assert response.status_code == 200 and response.json()["parent"] == world.stb.pk


def test_creating_an_organisation_checks_the_type_rules(client, world):
    token = token_for(client, "organizer", world.password)
    h = {"HTTP_AUTHORIZATION": f"Token {token}"}
    response = client.post("/api/v1/organizations/", {"parent": world.br1g1.pk, "code": "X1", "name": "x",
                                                      "org_type": "group"}, content_type="application/json", **h)
    assert response.status_code == 400 and "党小组之下不能再设党组织" in response.json()["parent"][0]
    assert not Organization.objects.filter(code="X1").exists()


def test_member_list_query_count_does_not_grow_with_rows(api, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        api.get("/api/v1/members/")


def test_openapi_schema_and_offline_docs(client, world):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/").content.decode() + client.get("/api/v1/docs/?script=").content.decode()
    assert "swagger-ui" in docs and not re.search(r"https?://", docs)
