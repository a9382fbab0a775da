"""Volatile fields of Docker's output, as a catalogue of named rules.

The drift check rewrites matches to their placeholder on both sides before comparing, so a diff shows only real
differences. Each rule is narrow on purpose: wrong output must still fail (tests/test_normalize.py proves both).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    placeholder: str
    about: str

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.placeholder, text)


def _rule(name: str, pattern: str, placeholder: str, about: str, flags: int = 0) -> Rule:
    return Rule(name, re.compile(pattern, flags), placeholder, about)


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_SPAN = r"(?:Less than a second|About an? (?:second|minute|hour)|\d+ (?:seconds?|minutes?|hours?|days?|weeks?|months?))"

# Order matters: longer, more specific shapes first.
RULES: tuple[Rule, ...] = (
    _rule("ifindex", r"(?m)^(\s*)(?!1: lo)\d+: (?=[\w.@-]+: <)", r"\1[N]: ",
          "interface indexes at the start of `ip link`/`ip addr` lines (lo stays 1)"),
    _rule("ifindex-oneline", r"(?m)^(?!1: lo)\d+: (?=[\w.@-]+(?:@[\w\[\]]+)?[: ] )", "[N]: ",
          "interface indexes of `ip -o` lines"),
    _rule("digest", r"sha256:[0-9a-f]{64}", "sha256:[DIGEST]", "image and content digests"),
    _rule("overlay-dir", r"(/var/lib/docker/overlay2/)(?:[0-9a-f]{64}|[0-9a-z]{25,26})(-init)?",
          r"\1[LAYER]\2", "overlay2 layer directories"),
    _rule("overlay-link", r"(/var/lib/docker/overlay2/l/)[A-Z0-9]{26}", r"\1[LINK]", "overlay2 short links"),
    _rule("full-id", r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", "[ID]",
          "container, network, volume and image IDs"),
    _rule("short-id", r"(?<![0-9a-zA-Z_.:/-])[0-9a-f]{12}(?![0-9a-zA-Z_-])", "[SHORT-ID]",
          "12-digit IDs (docker ps, container hostnames)"),
    _rule("bridge-name", r"\bbr-[0-9a-f]{12}\b", "br-[SHORT-ID]", "Linux bridges of user-defined networks"),
    _rule("veth-name", r"\bveth[0-9a-f]{7}\b", "veth[HOST]", "host ends of veth pairs"),
    _rule("ifindex-peer", r"@if\d+\b", "@if[N]", "the peer's interface index in `eth0@if17`"),
    _rule("ping-time", r"time=\d+(?:\.\d+)? ms", "time=[T] ms", "round-trip time of one ping"),
    _rule("ping-rtt", r"round-trip min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms", "round-trip min/avg/max = [RTT] ms",
          "ping's round-trip summary"),
    _rule("if-packets", r"\b([RT]X packets):\d+", r"\1:[N]", "ifconfig packet counters"),
    _rule("if-bytes", r"\b([RT]X bytes):\d+ \([\d.]+ [KMGT]?i?B\)", r"\1:[N] ([SIZE])", "ifconfig byte counters"),
    _rule("chain-counters", r"(?m)^(:\S+ \S+ )\[\d+:\d+\]", r"\1[PKTS:BYTES]", "iptables-save chain counters"),
    _rule("uptime", rf"\bUp {_SPAN}(?: \((?:healthy|unhealthy|health: starting)\))?", "Up [TIME]",
          "`Up 3 seconds` in docker ps"),
    _rule("ago", rf"\b{_SPAN} ago\b", "[TIME] ago", "`5 seconds ago`"),
    _rule("iso-date",
          r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?: ?(?:Z|[+-]\d{2}:?\d{2})(?: [A-Z]{3,4})?)?",
          "[DATE]", "timestamps in inspect, ps and volume output"),
    _rule("ctime-date", rf"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) {_MONTH} [ \d]\d \d\d:\d\d:\d\d \d{{4}}\b", "[DATE]",
          "dates like `Fri Nov 27 21:14:38 2026` (iptables-save)"),
    _rule("ls-date", rf"\b{_MONTH} [ \d]\d (?:\d\d:\d\d|  \d{{4}}| \d{{4}})\b", "[DATE]", "dates in `ls -l`"),
    _rule("proc-pid", r"/proc/\d+/", "/proc/[PID]/", "process paths on the host"),
    _rule("random-mac", r"(?i)\b(?!02:42:)[0-9a-f][26ae](?::[0-9a-f]{2}){5}\b", "[MAC]",
          "random (locally administered) MACs; engine 20.10's MACs derived from the IP stay"),
    _rule("random-ll6", r"\bfe80::(?!42:acff:fe1[0-9a-f]:)[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}\b",
          "fe80::[LL]", "IPv6 link-local addresses made from random MACs"),
)


def normalize(text: str, extra: Iterable[str] = ()) -> str:
    """`text` with every volatile span rewritten to its placeholder; `extra` are a block's own regexes."""
    for rule in RULES:
        text = rule.apply(text)
    for pattern in extra:
        text = re.sub(pattern, "[VOLATILE]", text, flags=re.MULTILINE)
    return text


def scrub_labels(text: str, labels: Iterable[str]) -> str:
    """Remove the engine's own labels from an output, as if they had never been added: the page shows only what
    a reader would see running the same commands (with Docker Hub's busybox, say)."""
    for label in labels:
        key, value = re.escape(label), r"[0-9a-f]{16,64}"
        text = re.sub(rf'"Labels": \{{\s*"{key}": "{value}"\s*\}}', '"Labels": {}', text)
        text = re.sub(rf'(?m)^\s*"{key}": "{value}",\n', "", text)
        text = re.sub(rf',(\n\s*)"{key}": "{value}"(\n)', r"\2", text)
        text = re.sub(rf'"{key}":"{value}",?', "", text).replace(",}", "}")
        text = re.sub(rf"\s?{key}:{value}", "", text).replace("map[ ", "map[")
        text = re.sub(rf",?{key}={value}", "", text)
    return text
