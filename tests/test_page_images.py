"""The lint knows which images a page can use (policy.page_images): the lesson images of images/ and what earlier
commands of the page build or tag; any other image is refused at lint time, with its line, the list of the images
the page can use and a BusyBox stand-in, instead of failing at run time with `No such image` (--pull never)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docexec import PageError, PageErrors, Project, Settings, load_config
from docexec.hosts.images import load_images
from docexec.page.model import parse_file
from tests.conftest import ROOT, MakeProject


def problems(make_project: MakeProject, page: str) -> list[PageError]:
    """The problems `docexec lint` reports for the page (none: [])."""
    config = make_project({"p.md": page})
    with Project(config, mode="offline") as project:
        try:
            project.load_page("p.md")
        except PageError as exc:
            return list(exc.errors) if isinstance(exc, PageErrors) else [exc]
    return []


def block(*commands: str, kind: str = "docker", id: str = "b") -> str:
    lines = "\n".join(f"$ {c}" for c in commands)
    return f'```console exec="{kind}" id="{id}"\n{lines}\n```\n\n'


DOCKERFILE = '```dockerfile exec="file" id="dockerfile" path="app/Dockerfile"\n{}\n```\n\n'


@pytest.mark.parametrize(("command", "image"), [
    ("docker run -d --name web -p 8080:80 nginx", "nginx"),
    ("docker run --rm --network net1 -e A=b -v data:/data alpine:3.19 sh -c 'echo hi'", "alpine:3.19"),
    ("docker create --name c1 --restart=always httpd", "httpd"),
    ("docker container run -dit --name u ubuntu", "ubuntu"),
    ("docker service create -q --name s --replicas 2 -p 8080:80 nginx", "nginx"),  # a service's tasks run it too
])
def test_an_unknown_image_is_refused_with_the_images_there_are_and_a_stand_in(make_project: MakeProject,
                                                                               command: str, image: str) -> None:
    from docexec.policy.page_images import normalize

    found = problems(make_project, "# p\n\n" + block(command, kind="session" if "-dit" in command else "docker"))
    assert [p.line for p in found] == [4], found
    message = found[0].message
    assert f"'{image}': no such image in the lab" in message and f"No such image: {normalize(image)}" in message
    assert "Images this page can use here: busybox (lesson image)" in message
    assert "`busybox sleep 1d`" in message and "`busybox sh`" in message
    assert "`busybox httpd -f -p 80 -h /var/www`" in message


def test_a_web_server_gets_busybox_httpd_first(make_project: MakeProject) -> None:
    (found,) = problems(make_project, block("docker run -d nginx:1.25"))
    assert found.message.index("busybox httpd") < found.message.index("busybox sleep 1d"), found.message


@pytest.mark.parametrize("command", [
    "docker run -d --name a --network n --hostname h busybox sleep 1d",  # option values are not the image
    "docker run --rm busybox:latest true",
    "docker run --rm docker.io/library/busybox echo hi",
    "docker create --name c -e X=$PWD busybox",
    "docker service create -q --name s --replicas 1 --mode replicated busybox sleep 1d",
])
def test_the_lesson_image_is_there_however_it_is_spelled(make_project: MakeProject, command: str) -> None:
    assert problems(make_project, block(command)) == []


def test_an_image_built_earlier_in_the_page_is_there(make_project: MakeProject) -> None:
    page = DOCKERFILE.format("FROM busybox\nCMD [\"sleep\", \"1d\"]") + \
        block("docker build -t app app", id="build") + block("docker run -d --name a1 app", id="run") + \
        block("docker run --rm app:latest true", "docker create --name a2 app", "docker run --rm apps true", id="more")
    found = problems(make_project, page)
    assert [p.line for p in found] == [17], found  # only `apps`, which the page did not build
    assert "busybox (lesson image)" in found[0].message and "app (built at line 7)" in found[0].message


def test_an_image_tagged_earlier_in_the_page_is_there(make_project: MakeProject) -> None:
    page = block("docker tag busybox web", id="tag") + block("docker run -d --name w web httpd -f", id="run")
    assert problems(make_project, page) == []


def test_an_image_used_before_the_block_that_builds_it_is_refused(make_project: MakeProject) -> None:
    page = DOCKERFILE.format("FROM busybox") + block("docker run --rm app true", id="run") + \
        block("docker build -t app app", id="build") + block("docker run --rm app true", id="again") + \
        block("docker build -t app app", id="rebuild")
    found = problems(make_project, page)
    assert [p.line for p in found] == [6], found  # the first run only
    assert found[0].message.startswith("'app' is built only at line 10, after this command: move this command "
                                       "below it. docker run 'app': no such image"), found[0].message


def test_the_list_names_the_images_the_page_made(make_project: MakeProject) -> None:
    page = block("docker tag busybox web", id="tag") + block("docker run --rm nginx", id="run")
    (found,) = problems(make_project, page)
    assert "busybox (lesson image), web (tagged at line 2)" in found.message, found.message


def test_a_dockerfile_from_an_unknown_image_is_refused_at_its_from_line(make_project: MakeProject) -> None:
    page = DOCKERFILE.format("# a web server\nFROM nginx:alpine AS base\nFROM base\nFROM scratch") + \
        block("docker build -t app app", id="build")
    found = problems(make_project, page)
    assert [p.line for p in found] == [3], found  # stage names and scratch are not images
    assert "FROM 'nginx:alpine': no such image" in found[0].message


def test_a_tag_of_an_unknown_image_is_refused_and_an_image_named_by_digest_too(make_project: MakeProject) -> None:
    page = block("docker tag nginx web", "docker run --rm busybox@sha256:" + "ab" * 32 + " true")
    found = problems(make_project, page)
    assert [p.line for p in found] == [2, 3], found
    assert "docker tag 'nginx': no such image" in found[0].message
    assert "named by digest" in found[1].message and "busybox (lesson image)" in found[1].message


def test_a_pull_says_which_images_there_are(make_project: MakeProject) -> None:
    found = problems(make_project, block("docker pull nginx", "docker pull busybox"))
    assert [p.line for p in found] == [2, 2, 3], found
    assert any("busybox httpd" in p.message for p in found if p.line == 2)
    assert all("registry" in p.message for p in found if p.line == 3)


def test_an_image_made_on_another_host_of_the_lab_is_not_there(make_project: MakeProject) -> None:
    page = "---\nhosts: [one, two]\n---\n\n" + \
        '```console exec="docker" id="t" host="one"\n$ docker tag busybox web\n```\n\n' + \
        '```console exec="docker" id="r" host="two"\n$ docker run --rm web true\n```\n'
    found = problems(make_project, page)
    assert [p.line for p in found] == [10], found


def test_docker_tag_runs_only_in_a_lab_and_names_plainly(make_project: MakeProject) -> None:
    found = problems(make_project, block("docker tag busybox busybox:v2", "docker tag busybox reg.io/web"))
    assert [p.line for p in found] == [2, 3], found
    assert all("not after a lesson image" in p.message for p in found)


def test_every_page_of_the_book_uses_only_images_it_has(config: Settings) -> None:
    from docexec.policy.page_images import image_refusals

    tags = [spec.tag for spec in load_images(config.images_dir)]
    built = 0
    for path in sorted(config.docs_dir.rglob("*.md")):
        page = parse_file(path, path.relative_to(config.docs_dir).as_posix(), str(path))
        assert image_refusals(page, tags, [e.name for e in config.engines]) == [], path
        built += page.runs("docker", "build")
    assert built, "no page builds an image: the check of built images is not exercised by the book"


def test_names_compare_as_docker_reads_them() -> None:
    from docexec.policy.page_images import normalize

    assert normalize("busybox") == normalize("busybox:latest") == normalize("docker.io/library/busybox:latest")
    assert normalize("localhost:5000/app") == "localhost:5000/app:latest"
    assert normalize("app:v1") == "app:v1" != normalize("app")


def test_a_lab_gets_the_lesson_image_however_the_page_spells_it(config: Settings) -> None:
    """What the lint accepts the lab has: it is given the lesson images its page names (ImageSpec.used_by)."""
    (busybox,) = [spec for spec in load_images(config.images_dir) if spec.name == "busybox"]
    for spelled in ("busybox", "busybox:latest", "docker.io/library/busybox", "library/busybox:latest"):
        assert busybox.used_by(["run", "--rm", spelled]), spelled
    assert not busybox.used_by(["busybox:1.36", "mybusybox", "busybox-net", ""])


def test_names_from_run_time_are_left_to_run_time(make_project: MakeProject) -> None:
    page = block("ID=$(docker images -q busybox)", "docker run --rm $ID true")
    assert problems(make_project, page) == []


def test_an_image_of_the_site_counts_as_a_lesson_image_and_keeps_its_name(make_project: MakeProject,
                                                                          tmp_path: Path) -> None:
    """A site's own image (a folder of images/) is in the list, can be used, and a page may not build over it."""
    images = tmp_path / "images"
    shutil.copytree(ROOT / "images" / "busybox", images / "busybox")
    (images / "tools").mkdir()
    (images / "tools" / "Dockerfile").write_text("FROM scratch\n")
    (images / "tools" / "image.toml").write_text('tag = "tools:1.0"\n')
    config = make_project({"p.md": DOCKERFILE.format("FROM tools:1.0") + block(
        "docker run --rm tools:1.0 true", "docker build -t tools app", "docker run --rm nginx", id="b")})
    text = (config.root / "pyproject.toml").read_text().replace(str(ROOT / "images"), str(images))
    (config.root / "pyproject.toml").write_text(text)
    with Project(load_config(config.root), mode="offline") as project, pytest.raises(PageErrors) as caught:
        project.load_page("p.md")
    found = caught.value.errors
    assert [p.line for p in found] == [7, 8], found
    assert "'tools' is the name of a lesson image" in found[0].message
    assert "busybox (lesson image), tools:1.0 (lesson image)" in found[1].message


COMPOSE = '```yaml exec="file" id="{id}" path="{path}"\n{text}\n```\n\n'


def test_a_compose_file_s_images_are_checked_at_their_image_line(make_project: MakeProject) -> None:
    """`docker compose up` reads the compose file the page wrote: an unknown `image:` is refused where it is written,
    with the list and the stand-in of `docker run nginx`; a file no compose command reads is not checked."""
    text = "services:\n  web:\n    image: nginx:alpine\n  db:\n    image: busybox\n    command: sleep 1d"
    page = COMPOSE.format(id="f", path="compose.yaml", text=text) + \
        COMPOSE.format(id="unread", path="other.yaml", text="services:\n  x:\n    image: nginx") + \
        block("docker compose up -d", "docker compose ps", id="up")
    (found,) = problems(make_project, page)
    assert found.line == 4, found  # `image: nginx:alpine`
    assert found.message.startswith("compose.yaml, service 'web': image 'nginx:alpine': no such image in the lab")
    assert "Images this page can use here: busybox (lesson image)" in found.message
    assert "`busybox httpd -f -p 80 -h /var/www`" in found.message


def test_compose_files_are_found_as_docker_compose_finds_them(make_project: MakeProject) -> None:
    nginx = "services:\n  web:\n    image: nginx"
    page = COMPOSE.format(id="a", path="shop.yaml", text=nginx) + \
        COMPOSE.format(id="b", path="app/docker-compose.yml", text=nginx) + \
        COMPOSE.format(id="c", path="compose.yaml", text="services:\n  web:\n    image: busybox") + \
        block("docker compose up -d", "docker compose -f shop.yaml --progress quiet create",
              "docker compose --project-directory app run --rm web true", "docker compose -f shop.yaml down", id="up")
    found = problems(make_project, page)
    assert [(p.line, p.message.split(":")[0]) for p in found] == [(4, "shop.yaml, service 'web'"),
                                                                  (10, "app/docker-compose.yml, service 'web'")], found


def test_a_service_built_by_compose_makes_its_image(make_project: MakeProject) -> None:
    """With `build:` compose builds the image (the Dockerfile's FROM checked) and names it `<project>-<service>`,
    or after its `image:`; a later command can use it, and the built service's image is not looked for."""
    text = "services:\n  api:\n    build: app\n  web:\n    build:\n      context: app\n      dockerfile: Web\n" \
           "    image: shop-web:1"
    page = DOCKERFILE.format("FROM busybox") + \
        '```dockerfile exec="file" id="web" path="app/Web"\nFROM nginx\n```\n\n' + \
        COMPOSE.format(id="f", path="compose.yaml", text=text) + \
        block("docker compose up -d", "docker compose -p other up -d",
              "docker run --rm lab-api true", "docker run --rm shop-web:1 true", "docker run --rm other-api true",
              "docker run --rm lab-web true", id="up")
    found = problems(make_project, page)
    assert [p.line for p in found] == [6, 6, 26], found  # FROM nginx (read by each up), the unnamed lab-web
    assert "FROM 'nginx': no such image" in found[0].message
    assert "'lab-web': no such image" in found[2].message
    assert "lab-api (built by docker compose at line 21)" in found[2].message


TWO_ENGINES = '[[tool.docexec.engines]]\nname = "20.10"\n[[tool.docexec.engines]]\nname = "28.5"\n' \
    'snippets_dir = "snippets/_engines/28.5"\n'


def engine_block(command: str, id: str, engines: str = "") -> str:
    option = f' engines="{engines}"' if engines else ""
    return f'```console exec="docker" id="{id}"{option}\n$ {command}\n```\n\n'


def test_an_image_made_on_some_engines_is_there_on_those_only(make_project: MakeProject) -> None:
    """A block limited to 28.5 tags on 28.5 alone: a later block on 28.5 may use the image, one that runs on 20.10
    too may not, nor one on 20.10 alone; made on both (two blocks), it is there on both."""
    page = engine_block("docker tag busybox web", "tag", "28.5") + \
        engine_block("docker run --rm web true", "new", "28.5") + \
        engine_block("docker run --rm web true", "both") + \
        engine_block("docker run --rm web true", "old", "20.10") + \
        engine_block("docker tag busybox web", "tag-old", "20.10") + \
        engine_block("docker run --rm web true", "again")
    config = make_project({"p.md": page}, TWO_ENGINES)
    with Project(config, mode="offline") as project, pytest.raises(PageErrors) as caught:
        project.load_page("p.md")
    found = caught.value.errors
    assert [p.line for p in found] == [10, 14], found
    assert found[0].message.startswith("docker run 'web': 'web' is tagged at line 2 in a block that runs only on 28.5, "
                                       "and this command runs on 20.10 too, where docker would stop with 'No such "
                                       "image: web:latest'"), found[0].message
    assert 'engines="28.5"' in found[0].message
    assert "no such image" not in found[1].message and "runs on 20.10 too" in found[1].message


def test_a_page_limited_to_one_engine_uses_what_it_makes_there(make_project: MakeProject) -> None:
    page = '---\nengines: ["28.5"]\n---\n\n' + engine_block("docker tag busybox web", "tag", "28.5") + \
        engine_block("docker run --rm web true", "run")
    config = make_project({"p.md": page}, TWO_ENGINES)
    with Project(config, mode="offline") as project:
        project.load_page("p.md")
