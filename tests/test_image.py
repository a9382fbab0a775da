"""The book's busybox image is the twin of Docker Hub's busybox:latest: a reader who pastes a command gets the
same files, users, PATH and CMD. What is left different is listed on the index page."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

import pytest

from docexec import Lab

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parent.parent
HUB_PATHS = ROOT / "images" / "busybox" / "hub-paths.txt"

# Differences that remain, each with the words of docs/index.md that tell the reader about it.
KNOWN = {
    "/bin/getconf": "`/bin/getconf`",
    "/lib/*": "`/lib` 里放着它需要的 glibc 库",
    "/bin/*": "`/bin` 里的小命令（applet）集合略有出入",
}


def hub_paths() -> list[str]:
    return [line for line in HUB_PATHS.read_text().splitlines() if line and not line.startswith("#")]


def compare(found: list[str], hub: list[str]) -> tuple[set[str], set[str]]:
    """(paths only the Hub image has, paths only ours has); a pattern line of the Hub list stands for any
    number of paths, and is missing only when nothing matches it."""
    patterns = [p for p in hub if "*" in p]
    exact = {p for p in hub if "*" not in p}
    ours = set(found)
    only_ours = {p for p in ours - exact if not any(fnmatch.fnmatch(p, pat) for pat in patterns)}
    only_hub = (exact - ours) | {pat for pat in patterns if not any(fnmatch.fnmatch(p, pat) for p in ours - exact)}
    return only_hub, only_ours


def test_compare_spots_missing_and_extra_paths() -> None:
    hub = ["/", "/bin", "/bin/*", "/etc", "/lib/*"]
    assert compare(["/", "/bin", "/bin/ls", "/etc"], hub) == ({"/lib/*"}, set())
    assert compare(["/", "/bin", "/bin/ls", "/etc", "/lib/x", "/opt"], hub) == (set(), {"/opt"})
    assert compare(["/", "/etc", "/lib/x"], hub) == ({"/bin", "/bin/*"}, set())


def test_known_differences_are_on_the_index_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for path, words in KNOWN.items():
        assert words in index, f"docs/index.md should tell the reader about {path}"


@pytest.fixture(scope="module")
def image_host(shared_lab: Lab) -> Lab:
    return shared_lab


def docker(lab: Lab, *argv: str) -> str:
    done = subprocess.run(lab.host().command(["docker", *argv]), capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_image_has_the_hub_images_paths(image_host: Lab) -> None:
    found = docker(image_host, "run", "--rm", "--network", "none", "busybox", "find", "/", "-xdev").split()
    only_hub, only_ours = compare(found, hub_paths())
    assert only_ours == set(), f"paths the Hub image does not have: {sorted(only_ours)}"
    # /bin/* and /lib/* are patterns: /bin/* matches our applets; /lib is empty here, as the index page says.
    assert only_hub == {"/bin/getconf", "/lib/*"}, f"Hub paths missing here: {sorted(only_hub)}"
    assert set(only_hub) <= set(KNOWN)


def test_the_image_has_the_hub_images_users_path_and_cmd(image_host: Lab) -> None:
    passwd = docker(image_host, "run", "--rm", "--network", "none", "busybox", "cat", "/etc/passwd")
    assert passwd.splitlines()[0] == "root:x:0:0:root:/root:/bin/sh"
    assert "nobody:x:65534:65534:nobody:/home:/bin/false" in passwd.splitlines()
    assert docker(image_host, "run", "--rm", "--network", "none", "busybox", "id").strip() == \
        "uid=0(root) gid=0(root) groups=0(root),10(wheel)"
    config = docker(image_host, "image", "inspect", "-f", "{{json .Config.Env}} {{json .Config.Cmd}}", "busybox")
    assert config.strip() == '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] ["sh"]'
    modes = docker(image_host, "run", "--rm", "--network", "none", "busybox", "stat", "-c", "%n %a %U",
                   "/root", "/tmp", "/etc/shadow", "/var/www")
    assert modes.split("\n")[:4] == ["/root 700 root", "/tmp 1777 root", "/etc/shadow 600 root",
                                     "/var/www 755 www-data"]
