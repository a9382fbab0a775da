"""The BPF device program of a lab on cgroup v2, without a kernel: its instructions, and what it answers for each
access when run by a small interpreter of the instructions it uses, against the rules' meaning in cgroup v1.
(That the kernel loads it and refuses with it is in test_lab_devices.py.)"""

from __future__ import annotations

import errno
import itertools
import struct
from pathlib import Path

import pytest

from docexec.lab import LAB_DEVICES, LabError, cgroups
from docexec.lab import devices_bpf as bpf
from docexec.lab.devices_bpf import DeviceRule, Insn

RULES = [DeviceRule.parse(rule) for rule in LAB_DEVICES]
ACCESSES = ["".join(c) for n in (1, 2, 3) for c in itertools.combinations("rwm", n)]


def run(code: bytes, kind: str, major: int, minor: int, access: str) -> int:
    """What the program answers for one access: a BPF interpreter of the instructions the assembler uses, which
    also checks what the kernel's verifier would (no register read before it is set, jumps forward and inside
    the program, and an r0 set at the exit)."""
    ctx = struct.pack("=III", sum(bpf.ACCESS[a] for a in access) << 16 | bpf.TYPES[kind][0], major, minor)
    regs: dict[int, int] = {1: -1}  # r1: the context (a pointer, marked -1)
    program, pc = bpf.decode(code), 0
    while True:
        insn = program[pc]
        pc += 1
        dst, src = regs.get(insn.dst), regs.get(insn.src)
        if insn.code == bpf.LDX_MEM_W:
            assert src == -1 and insn.off in (0, 4, 8)
            regs[insn.dst] = struct.unpack_from("=I", ctx, insn.off)[0]
            continue
        if insn.code == bpf.JMP_EXIT:
            return regs[0]
        if insn.code in (bpf.ALU_MOV_K, bpf.ALU_MOV_X):
            assert insn.code == bpf.ALU_MOV_K or (src is not None and src >= 0)
            regs[insn.dst] = insn.imm & 0xFFFFFFFF if insn.code == bpf.ALU_MOV_K else src  # type: ignore[assignment]
            continue
        assert dst is not None and dst >= 0, f"r{insn.dst} read before it is set, at {pc - 1}"
        if insn.code == bpf.ALU_AND_K:
            regs[insn.dst] = dst & insn.imm
        elif insn.code == bpf.ALU_RSH_K:
            regs[insn.dst] = dst >> insn.imm
        elif insn.code in (bpf.JMP_JNE_K, bpf.JMP_JNE_X):
            assert insn.off >= 0 and pc + insn.off < len(program)
            other = insn.imm if insn.code == bpf.JMP_JNE_K else src
            if dst != other:
                pc += insn.off
        else:
            raise AssertionError(f"unknown instruction {insn}")


def v1_allows(rules: list[DeviceRule], kind: str, major: int, minor: int, access: str) -> bool:
    """The rules' meaning in cgroup v1 after devices.deny "a": some rule covers the device and the access."""
    return any(rule.type in (kind, "a") and rule.major in (None, major) and rule.minor in (None, minor)
               and set(access) <= set(rule.access) for rule in rules)


def test_the_program_answers_as_the_v1_rules_do() -> None:
    code = bpf.encode(bpf.assemble(RULES))
    for kind, major, minor, access in itertools.product("bc", (0, 1, 4, 5, 7, 10, 136, 254, 4095),
                                                        (0, 1, 2, 3, 5, 7, 8, 9, 200, 229, 1 << 19), ACCESSES):
        assert run(code, kind, major, minor, access) == v1_allows(RULES, kind, major, minor, access), \
            (kind, major, minor, access)


@pytest.mark.parametrize(("kind", "major", "minor", "access", "answer"), [
    ("b", 254, 0, "r", 0), ("b", 254, 0, "w", 0), ("b", 254, 0, "rw", 0), ("b", 7, 0, "r", 0),  # no disk opens
    ("b", 254, 0, "m", 1), ("c", 4, 0, "m", 1),  # any device may be made
    ("c", 1, 3, "rw", 1), ("c", 1, 5, "r", 1), ("c", 1, 9, "rwm", 1), ("c", 136, 7, "rw", 1), ("c", 10, 200, "rw", 1),
    ("c", 4, 0, "r", 0), ("c", 10, 229, "rw", 0), ("c", 1, 1, "r", 0),  # tty0, fuse, /dev/mem: not listed
])
def test_what_a_lab_may_open(kind: str, major: int, minor: int, access: str, answer: int) -> None:
    assert run(bpf.encode(bpf.assemble(RULES)), kind, major, minor, access) == answer


def test_the_instructions_of_a_rule() -> None:
    """As runc's devicefilter: a block per rule that jumps to the next block at the first test that fails, and
    returns 1 at its end; after the last block, 0."""
    jne_k, jne_x = bpf.JMP_JNE_K, bpf.JMP_JNE_X
    prologue = bpf.assemble([])[:-2]
    assert bpf.assemble([DeviceRule.parse("c 1:3 rwm")])[len(prologue):] == [
        Insn(jne_k, 2, 0, 4, bpf.DEV_CHAR), Insn(jne_k, 4, 0, 3, 1), Insn(jne_k, 5, 0, 2, 3),
        Insn(bpf.ALU_MOV_K, 0, 0, 0, 1), Insn(bpf.JMP_EXIT),
        Insn(bpf.ALU_MOV_K, 0, 0, 0, 0), Insn(bpf.JMP_EXIT)]
    assert bpf.assemble([DeviceRule.parse("b *:* m")])[len(prologue):-2] == [
        Insn(jne_k, 2, 0, 5, bpf.DEV_BLOCK), Insn(bpf.ALU_MOV_X, 1, 3), Insn(bpf.ALU_AND_K, 1, 0, 0, bpf.ACC_MKNOD),
        Insn(jne_x, 1, 3, 2), Insn(bpf.ALU_MOV_K, 0, 0, 0, 1), Insn(bpf.JMP_EXIT)]
    assert len(bpf.assemble([DeviceRule.parse("a 5:* rw")])) == len(prologue) + 2 * 7 + 2  # a block for each type
    program = bpf.assemble(RULES)
    assert bpf.decode(bpf.encode(program)) == program and len(bpf.encode(program)) == 8 * len(program)


@pytest.mark.parametrize("line", ["x 1:3 rwm", "c 1 rwm", "c 1:3 rwq", "c 1:3", "c a:3 r", "c 1:3 "])
def test_a_rule_is_checked(line: str) -> None:
    with pytest.raises(ValueError, match="not a device rule"):
        DeviceRule.parse(line)


def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *hierarchies: str, attach_fails: bool = False
            ) -> list[Path]:
    """Fake cgroup hierarchies ("v1": with devices files, "v2": unified) for LabCgroups.make; the folders the
    BPF program was attached to."""
    bases = []
    for name in hierarchies:
        base = tmp_path / name
        base.mkdir()
        (base / ("devices.deny" if name == "v1" else "cgroup.controllers")).write_text("")
        bases.append(base)
    attached: list[Path] = []

    def attach(folder: Path, rules: object) -> None:
        if attach_fails:
            raise OSError(errno.EPERM, "Operation not permitted")
        attached.append(folder)

    monkeypatch.setattr(cgroups, "own_cgroups", lambda: bases)
    monkeypatch.setattr(bpf, "attach", attach)
    return attached


def test_a_lab_on_cgroup_v2_gets_the_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attached = machine(tmp_path, monkeypatch, "v1", "v2")
    made = cgroups.LabCgroups("t1")
    made.make()
    assert attached == [tmp_path / "v2" / made.name]
    assert (tmp_path / "v1" / made.name / "devices.deny").read_text() == "a"


def test_a_lab_without_device_rules_is_not_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails closed: the program cannot be attached (no BPF, lockdown) and no v1 rules cover the lab."""
    machine(tmp_path, monkeypatch, "v1", "v2", attach_fails=True)
    cgroups.LabCgroups("t1").make()  # v1's rules hold
    with pytest.raises(LabError, match=r"no device rules .*could not be attached to .*v2/docexec-lab-t2: \[Errno 1\]"):
        cgroups.LabCgroups("t2", v1_devices=False).make()
    machine(tmp_path / "v1only", monkeypatch)
    with pytest.raises(LabError, match="neither a cgroup v1 devices controller nor cgroup v2"):
        cgroups.LabCgroups("t3").make()
