"""Production mode end to end, as a deploy runs it: collectstatic, check --deploy, then daphne
serving pages with DEBUG off behind a TLS-terminating proxy.

``check --deploy`` alone missed that collectstatic failed (a vendor bundle names a source map
its npm package does not ship), which left every HTML page answering 500.
"""

from __future__ import annotations

import re
import subprocess
import sys
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest

from tests.support.processes import free_port, start_logged, stop_group, wait_for_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HOST = "simnet.example.com"
EMAIL, PASSWORD = "ops@example.com", "correct horse battery staple"
# The proxy in front of daphne terminates TLS and says so (settings.SECURE_PROXY_SSL_HEADER).
BEHIND_TLS = {"Host": HOST, "X-Forwarded-Proto": "https"}
SEED = f"""
from simnet.tenancy.models import Membership, Organization, User
from simnet.tenancy.roles import Role
from tests.factories import RunFactory, ScenarioFactory

user = User.objects.create_user("{EMAIL}", "{PASSWORD}")
organization = Organization.objects.create(name="Ops", slug="ops")
Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
print(RunFactory(scenario=ScenarioFactory(organization=organization)).pk)
"""


@pytest.fixture(scope="module")
def production_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("production")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "SIMNET_PRODUCTION": "1",
        "SECRET_KEY": "x9!kQ2v#Lr8@pZ4m$Tn6^Wb1&Yc7*Hd3(Jf5)Ge0_Ua2+Sq8=Vx4-Rz6~Ek1",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"sqlite:///{folder / 'simnet.sqlite3'}",
        "STATIC_ROOT": str(folder / "static"),
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # checked below, with the output in the message
        [sys.executable, "manage.py", *args], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def deployed(production_env):
    """The deploy steps, then daphne on a free port: (base URL, id of a run of the seeded user)."""
    env = production_env
    _manage(env, "migrate", "--no-input")
    _manage(env, "createcachetable")
    _manage(env, "collectstatic", "--no-input")
    _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    run_id = int(_manage(env, "shell", "-c", SEED).strip().splitlines()[-1])
    port = free_port()
    daphne = start_logged(  # the web server scripts/serve.sh starts
        [sys.executable, "-m", "simnet.server", "-b", "127.0.0.1", "-p", str(port), "simnet.asgi:application"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, daphne)
        yield f"http://127.0.0.1:{port}", run_id
    finally:
        stop_group(daphne)


def _merged(*responses: httpx.Response) -> SimpleCookie:
    jar = SimpleCookie()
    for response in responses:
        for header in response.headers.get_list("set-cookie"):
            jar.load(header)
    return jar


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers=BEHIND_TLS, timeout=30)


def _signed_in(base_url: str) -> tuple[httpx.Client, SimpleCookie]:
    """A client with the seeded user's session, and the cookies the sign-in set. Cookies go by
    hand: they are Secure, and this hop is plain HTTP behind the pretend proxy."""
    client = _client(base_url)
    page = client.get("/login/")
    assert page.status_code == 200, page.text[:2000]
    csrf = _merged(page)["csrftoken"].value
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    login = client.post(
        "/login/",
        data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Cookie": f"csrftoken={csrf}", "Referer": f"https://{HOST}/login/"},
    )
    assert login.status_code == 302, login.text[:2000]
    cookies = _merged(page, login)
    client.headers["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    return client, cookies


def test_plain_http_is_redirected_to_https(deployed):
    base_url, _ = deployed
    response = httpx.get(f"{base_url}/login/", headers={"Host": HOST})
    assert response.status_code == 301 and response.headers["location"] == f"https://{HOST}/login/"


def test_debug_is_off(deployed):
    base_url, _ = deployed
    missing = _client(base_url).get("/no-such-page/")
    assert missing.status_code == 404 and "URLconf" not in missing.text  # no technical 404 page


def test_cookies_carry_their_flags(deployed):
    base_url, _ = deployed
    _, cookies = _signed_in(base_url)
    session, csrf = cookies["sessionid"], cookies["csrftoken"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert csrf["secure"] and csrf["samesite"] == "Lax"


@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/api/redoc/", "/", "run page"])
def test_pages_and_their_static_files_load_with_debug_off(deployed, path):
    base_url, run_id = deployed
    client = _client(base_url) if path == "/login/" else _signed_in(base_url)[0]
    path = f"/simulations/{run_id}/" if path == "run page" else path
    page = client.get(path)
    assert page.status_code == 200, page.text[:2000]
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert assets, "every page links hashed static files"
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert re.search(r"\.[0-9a-f]{12}\.", asset), f"{asset} is not from the manifest"
