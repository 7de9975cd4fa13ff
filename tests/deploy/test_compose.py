"""The deployment (docker-compose.yml, Dockerfile, docker/, .dockerignore) checked against the code it runs.

Nothing here needs Docker or a database: the files are parsed, and what they name (modules, settings,
paths in the repository, npm packages) is looked up in the project itself.
"""

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SETTINGS_FILE = ROOT / "turnaround" / "settings.py"
APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = (*APP_SERVICES, "db", "redis")
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
# What an operator would put in .env; only used to expand ${...} in docker-compose.yml.
OPERATOR_ENV = {"SECRET_KEY": "a-test-secret-key", "POSTGRES_PASSWORD": "a-test-password"}


# --- helpers ---------------------------------------------------------------------------------------

_COMPOSE_VAR = re.compile(
    r"\$(?:(?P<dollar>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, env):
    """Expand a Compose value as `docker compose` does: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR:?error}."""

    def expand(match):
        if match.group("dollar"):
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in ("-", ":-") and unset:
            return arg
        if op in ("?", ":?") and unset:
            raise KeyError(f"{name} is required: {arg}")
        return current or ""

    return _COMPOSE_VAR.sub(expand, str(value))


# gunicorn's positional argument: a dotted module path, optionally `:attribute`.
_WSGI_TARGET = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?")


def as_argv(command):
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):  # the ["NAME=value", ...] form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def option_value(argv, *names):
    """The value of an option given as `--name value`, `--name=value` or `-n value`."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def settings_env_names():
    """Every variable settings.py reads: env("X"...), env.bool("X"...), env.db("X"...) and the like."""
    source = SETTINGS_FILE.read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs of the Dockerfile, with continuation lines joined."""
    instructions, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def copy_parts(arguments):
    """Flags, sources and destination of a COPY or ADD (shell or JSON form)."""
    if arguments.lstrip().startswith("["):
        words = json.loads(arguments)
        flags = []
    else:
        words = shlex.split(arguments)
        flags = [w for w in words if w.startswith("--")]
        words = [w for w in words if not w.startswith("--")]
    return flags, words[:-1], words[-1]


def dockerignore_patterns():
    path = ROOT / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _glob_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignored(relative_path):
    """Whether .dockerignore keeps the path (or a folder holding it) out of the build context."""
    parts = Path(relative_path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in dockerignore_patterns():
        negated = pattern.startswith("!")
        regex = _glob_regex(os.path.normpath(pattern.lstrip("!").strip("/")))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def final_stage_workdir():
    workdir = "/"
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            workdir = "/"
        elif keyword == "WORKDIR":
            workdir = os.path.normpath(os.path.join(workdir, arguments))
    return workdir


def image_path_to_repo(path):
    """The repository file that lands at an absolute path of the image (the code is copied to WORKDIR)."""
    relative = os.path.relpath(path, final_stage_workdir())
    assert not relative.startswith(".."), f"{path} is outside the image's WORKDIR"
    return ROOT / relative


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    assert COMPOSE_FILE.exists(), "docker-compose.yml is missing"
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def app_env(services):
    """The environment of web, worker and beat, expanded with the operator's variables."""
    return {
        name: {key: interpolate(value, OPERATOR_ENV) for key, value in environment_of(services[name]).items()}
        for name in APP_SERVICES
    }


# --- docker-compose.yml ----------------------------------------------------------------------------


def test_the_five_services_exist(services):
    assert set(ALL_SERVICES) <= set(services)


def test_app_services_build_one_image_from_the_repository_dockerfile(services):
    images = set()
    for name in APP_SERVICES:
        build = services[name].get("build")
        assert build, f"{name} has no build"
        if isinstance(build, str):
            build = {"context": build}
        context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
        assert context == ROOT, f"{name} builds from {context}, not the repository"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name} builds from {dockerfile}, which does not exist"
        images.add((dockerfile, services[name].get("image")))
    assert len(images) == 1, f"web, worker and beat must share one image: {images}"


def test_db_and_redis_images_volumes_and_healthchecks(compose, services):
    assert re.fullmatch(r"postgres:15(?:[.-].*)?", services["db"]["image"])
    assert re.fullmatch(r"redis:7(?:[.-].*)?", services["redis"]["image"])
    for name in ("db", "redis"):
        healthcheck = services[name].get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable")
    named_volumes = set(compose.get("volumes") or {})
    db_volumes = [
        v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in services["db"]["volumes"]
    ]
    assert any(
        v.split(":")[0] in named_volumes and v.split(":")[1] == "/var/lib/postgresql/data" for v in db_volumes
    ), "the database's data must live in a named volume"


def test_depends_on_targets_exist_and_wait_for_health(services):
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, list):
            depends_on = {target: {"condition": "service_started"} for target in depends_on}
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on {target}, which is not a service"
            if spec.get("condition") == "service_healthy":
                assert services[target].get("healthcheck"), f"{name} waits for {target}'s health: it has none"
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        for target in ("db", "redis"):
            assert depends_on[target]["condition"] == "service_healthy", f"{name} must wait for {target}"


@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")  # WhiteNoise, before collectstatic has run
def test_web_runs_gunicorn_on_the_wsgi_application(services):
    argv = as_argv(services["web"].get("command"))
    assert argv[0] == "gunicorn"
    assert option_value(argv, "--bind", "-b") == "0.0.0.0:8000"
    targets = [arg for arg in argv[1:] if _WSGI_TARGET.fullmatch(arg)]
    assert len(targets) == 1, f"no single WSGI target in {argv}"
    module_name, _, attribute = targets[0].partition(":")
    module = importlib.import_module(module_name)
    application = getattr(module, attribute or "application")
    assert callable(application)
    assert f"{module_name}.{attribute or 'application'}" == settings.WSGI_APPLICATION


def test_worker_and_beat_run_the_project_celery_app(services):
    project_app = importlib.import_module("turnaround").celery_app
    assert isinstance(project_app, Celery)
    for name, subcommand in (("worker", "worker"), ("beat", "beat")):
        argv = as_argv(services[name].get("command"))
        assert argv[0] == "celery"
        assert subcommand in argv
        app_name = option_value(argv, "-A", "--app")
        assert app_name, f"{name} does not name its Celery app"
        assert find_app(app_name) is project_app


def test_exactly_one_beat(services):
    beats = [name for name, service in services.items() if "beat" in as_argv(service.get("command"))]
    assert beats == ["beat"]
    for name, service in services.items():  # nor a scheduler embedded in a worker (`worker -B`)
        argv = as_argv(service.get("command"))
        assert not {"-B", "--beat"} & set(argv), f"{name} runs an embedded beat"
    replicas = (services["beat"].get("deploy") or {}).get("replicas", 1)
    assert replicas == 1
    assert "scale" not in services["beat"]


def test_app_services_set_only_variables_settings_reads(services):
    read = settings_env_names()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "STATICFILES_BACKEND"} <= read
    for name in APP_SERVICES:
        unknown = set(environment_of(services[name])) - read
        assert not unknown, f"{name} sets {sorted(unknown)}, which settings.py does not read"


def test_production_settings_values(services, app_env):
    for name in APP_SERVICES:
        raw = environment_of(services[name])
        assert re.fullmatch(r"\$\{SECRET_KEY:?\?[^}]+\}", str(raw["SECRET_KEY"])), (
            "SECRET_KEY must be required"
        )
        with pytest.raises(KeyError):
            interpolate(raw["SECRET_KEY"], {})
        env = app_env[name]
        assert environ.Env.parse_value(env["DEBUG"], bool) is False
        # behind one TLS proxy: it marks HTTPS requests in X-Forwarded-Proto and appends to X-Forwarded-For
        assert env["SECURE_PROXY_SSL_HEADER"] == "X-Forwarded-Proto"
        assert environ.Env.parse_value(env["NUM_PROXIES"], int) == 1
        assert env["ALLOWED_HOSTS"]
        assert env["STATICFILES_BACKEND"] == MANIFEST_STORAGE
        import_string(env["STATICFILES_BACKEND"])


def test_database_and_broker_urls_point_at_the_services(services, app_env):
    db_env = {k: interpolate(v, OPERATOR_ENV) for k, v in environment_of(services["db"]).items()}
    for name in APP_SERVICES:
        env = app_env[name]
        database = environ.Env.db_url_config(env["DATABASE_URL"])
        assert database["ENGINE"] == "django.db.backends.postgresql"
        assert database["HOST"] == "db"
        assert database["PORT"] in ("", 5432, "5432")
        assert database["NAME"] == db_env.get("POSTGRES_DB", db_env.get("POSTGRES_USER", "postgres"))
        assert database["USER"] == db_env.get("POSTGRES_USER", "postgres")
        assert database["PASSWORD"] == db_env["POSTGRES_PASSWORD"]
        broker = urlsplit(env["CELERY_BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port or 6379) == ("redis", "redis", 6379)
        for key in ("CELERY_RESULT_BACKEND", "REDIS_CACHE_URL"):
            if key in env:
                assert urlsplit(env[key]).hostname == "redis"


def test_settings_load_from_the_compose_environment(app_env):
    """Import the settings in a fresh interpreter with web's environment: they must take it as meant."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
        "'host': s.DATABASES['default']['HOST'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'broker': s.CELERY_BROKER_URL, 'static': s.STORAGES['staticfiles']['BACKEND'], "
        "'secret': s.SECRET_KEY, 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'proxy': s.SECURE_PROXY_SSL_HEADER, "
        "'proxies': s.REST_FRAMEWORK['NUM_PROXIES'], 'hsts': s.SECURE_HSTS_SECONDS > 0, "
        "'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE]}))"
    )
    env = {**os.environ, **app_env["web"], "DJANGO_SETTINGS_MODULE": "turnaround.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "debug": False,
        "engine": "django.db.backends.postgresql",
        "host": "db",
        "eager": False,
        "broker": "redis://redis:6379/0",
        "static": MANIFEST_STORAGE,
        "secret": OPERATOR_ENV["SECRET_KEY"],
        "ssl_redirect": True,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "proxies": 1,
        "hsts": True,
        "cookies": [True, True],
    }


def test_check_deploy_passes_in_the_compose_environment(app_env):
    """What the web service runs on: `check --deploy` without a warning (with the operator's key)."""
    strong_key = "an-operator-secret-key-" + "k3Jd9Qw2Zx7Lp5Vb8Nm1Rt4Yh6Gf0Sa" * 2
    env = {
        # less what the browser tests set for the whole test process, which no deployment sets
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **app_env["web"],
        "SECRET_KEY": strong_key,
        "DJANGO_SETTINGS_MODULE": "turnaround.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- entrypoint ------------------------------------------------------------------------------------


def entrypoint_path():
    entrypoints = [args for keyword, args in dockerfile_instructions() if keyword == "ENTRYPOINT"]
    assert entrypoints, "the Dockerfile sets no ENTRYPOINT"
    argv = json.loads(entrypoints[-1]) if entrypoints[-1].startswith("[") else shlex.split(entrypoints[-1])
    return image_path_to_repo(argv[0])


def test_entrypoint_exists_and_is_executable(services):
    script = entrypoint_path()
    assert script.is_file(), f"{script} does not exist"
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert script.read_text().startswith("#!/bin/sh")
    for name, service in services.items():  # a service that overrides the entrypoint must name a real one
        if service.get("entrypoint"):
            path = as_argv(service["entrypoint"])[0]
            assert image_path_to_repo(path).is_file(), f"{name}'s entrypoint {path} does not exist"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["gunicorn", "turnaround.wsgi:application"], ["python manage.py migrate --noinput", "gunicorn"]),
        (["celery", "-A", "turnaround", "worker"], ["celery"]),
        (["celery", "-A", "turnaround", "beat"], ["celery"]),
    ],
)
def test_entrypoint_migrates_before_gunicorn_only(tmp_path, command, expected):
    """Run the script with stand-ins for python, gunicorn and celery that only log how they were called."""
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("python", "gunicorn", "celery"):
        stub = bin_dir / program
        stub.write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\n')
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        ["/bin/sh", str(entrypoint_path()), *command], cwd=tmp_path, env=env, check=True, timeout=30
    )
    calls = log.read_text().splitlines()
    assert [call.split(" ")[0] for call in calls] == [e.split(" ")[0] for e in expected]
    assert calls[0].startswith(expected[0])
    assert calls[-1] == " ".join(command)


# --- Dockerfile ------------------------------------------------------------------------------------


def test_dockerfile_stages_user_and_port():
    instructions = dockerfile_instructions()
    froms = [args.split() for keyword, args in instructions if keyword == "FROM"]
    assert froms[-1][0] == "python:3.11-slim", "the final stage must be python:3.11-slim"
    assert any(f[0] == "node:20-slim" for f in froms)
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "npm ci" in runs
    assert re.search(r"pip install \S+", runs)
    assert re.search(r"SECRET_KEY=\S+ python manage\.py collectstatic --noinput", runs)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    exposed = [port for keyword, args in instructions if keyword == "EXPOSE" for port in args.split()]
    assert "8000" in exposed or "8000/tcp" in exposed


def test_everything_the_dockerfile_copies_is_in_the_build_context():
    stages = {
        args.split()[-1].lower()
        for keyword, args in dockerfile_instructions()
        if keyword == "FROM" and len(args.split()) == 3 and args.split()[1].upper() == "AS"
    }
    copies = [(k, a) for k, a in dockerfile_instructions() if k in ("COPY", "ADD")]
    assert copies
    for keyword, arguments in copies:
        flags, sources, _ = copy_parts(arguments)
        from_stage = next((flag.split("=", 1)[1] for flag in flags if flag.startswith("--from=")), None)
        if from_stage:
            assert from_stage.lower() in stages, f"{keyword} {arguments}: no stage {from_stage}"
            continue
        for source in sources:
            assert not re.match(r"https?://", source), f"{keyword} {arguments} fetches from the network"
            matches = list(ROOT.glob(source)) if any(c in source for c in "*?[") else [ROOT / source]
            assert any(m.exists() for m in matches), (
                f"{keyword} {arguments}: {source} is not in the repository"
            )
            if os.path.normpath(source) != ".":
                assert not dockerignored(source), f"{source} is copied but .dockerignore leaves it out"


def test_node_modules_lands_where_settings_look():
    """settings.NODE_MODULES is BASE_DIR / "node_modules"; the code is copied to WORKDIR, so must it be."""
    workdir = final_stage_workdir()
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY" and "--from=" in arguments:
            _, sources, destination = copy_parts(arguments)
            if any(Path(source).name == "node_modules" for source in sources):
                assert os.path.normpath(os.path.join(workdir, destination)) == f"{workdir}/node_modules"
                break
    else:
        pytest.fail("the final stage does not copy node_modules from the npm stage")
    assert Path(settings.NODE_MODULES).relative_to(settings.BASE_DIR) == Path("node_modules")


def test_dockerignore_keeps_local_state_out_and_code_in():
    for path in ("node_modules", ".venv", ".env", ".git", "db.sqlite3", "staticfiles"):
        assert dockerignored(path), f".dockerignore should leave out {path}"
    for path in ("manage.py", "pyproject.toml", "turnaround/settings.py", "turnaround/wsgi.py", "templates"):
        if (ROOT / path).exists():
            assert not dockerignored(path), f".dockerignore leaves out {path}, which the image needs"
    assert not dockerignored(os.path.relpath(entrypoint_path(), ROOT))


# --- front-end packages and collectstatic ----------------------------------------------------------


def vendor_packages():
    """npm packages settings.STATICFILES_DIRS serves from node_modules."""
    node_modules = Path(settings.NODE_MODULES)
    packages = set()
    for entry in settings.STATICFILES_DIRS:
        path = Path(entry[1] if isinstance(entry, tuple | list) else entry)
        if node_modules in path.parents:
            parts = path.relative_to(node_modules).parts
            packages.add("/".join(parts[:2]) if parts[0].startswith("@") else parts[0])
    return packages


def test_vendor_packages_are_locked_for_npm_ci():
    packages = vendor_packages()
    assert {"bootstrap", "bootstrap-icons", "htmx.org", "chart.js"} <= packages
    package_json = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for package in packages:
        assert package in package_json.get("dependencies", {}), f"{package} is not a dependency"
        assert f"node_modules/{package}" in lock["packages"], f"{package} is not in package-lock.json"
        assert not lock["packages"][f"node_modules/{package}"].get("dev"), f"{package} is a dev dependency"


def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    """What the image build runs: the manifest storage fails on any asset referring to a missing file."""
    missing = [p for p in vendor_packages() if not (Path(settings.NODE_MODULES) / p).is_dir()]
    if missing:
        pytest.skip(f"node_modules lacks {missing}: run `npm ci`")
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for asset in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/chart.js/chart.umd.js",
    ):
        assert asset in manifest, f"{asset} was not collected"
